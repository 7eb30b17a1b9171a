"""One process of tests/test_ddp.py's torchrun launch: the reference trainer on a data folder, twice (8 rows a step;
4 rows in each of 2 micro-batches), with the gradient all-reduces of DistributedDataParallel and the rows each
process's micro-batches hold counted; then the second run again, stopped after step 3 and resumed.

    python -m torch.distributed.run --standalone --nproc_per_node 2 tests/ddp_worker.py DATA OUT
"""
import json
import sys
from pathlib import Path

import torch.distributed as dist
from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook

from solutions.phase08_training_gpt import trainer

RUNS = {"accum1": dict(batch_size=8, grad_accum_steps=1), "accum2": dict(batch_size=4, grad_accum_steps=2)}
COMMON = dict(n_layer=1, n_head=2, n_embd=32, block_size=16, max_steps=6, lr=1e-2, min_lr=1e-3, warmup_steps=2,
              eval_interval=3, eval_batches=2, log_interval=2, device="cpu", progress=False, seed=7)


def main(data_dir: str, out: str) -> None:
    allreduces = []

    class CountingDDP(trainer.DistributedDataParallel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)

            def counted(state, bucket):
                allreduces[-1] += 1
                return allreduce_hook(state, bucket)
            self.register_comm_hook(None, counted)

    trainer.DistributedDataParallel = CountingDDP
    rows = []
    real_accumulate = trainer.accumulate_gradients

    def counting_accumulate(model, micro, autocast=None):
        rows.extend(x.shape[0] for x, _ in micro)
        return real_accumulate(model, micro, autocast)

    trainer.accumulate_gradients = counting_accumulate
    vocab = json.loads((Path(data_dir) / "meta.json").read_text())["vocab_size"]
    counts = {}
    dist.init_process_group("gloo")        # joined here, so that both runs share it (train() leaves it as found)
    for name, shape in RUNS.items():
        allreduces.append(0)
        trainer.train(trainer.TrainConfig(data_dir=data_dir, out_dir=str(Path(out) / name), vocab_size=vocab,
                                          **COMMON, **shape))
        counts[name] = allreduces[-1]
        counts[f"{name}_rows"] = sorted(set(rows))
        rows.clear()
    resumed = dict(data_dir=data_dir, out_dir=str(Path(out) / "resumed"), vocab_size=vocab, **COMMON, **RUNS["accum2"])
    trainer.train(trainer.TrainConfig(**resumed, stop_at_step=3))
    trainer.train(trainer.TrainConfig(**resumed, resume=True))
    gathered = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, counts)
    if dist.get_rank() == 0:
        (Path(out) / "allreduces.json").write_text(json.dumps(gathered))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:])
