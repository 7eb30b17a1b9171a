"""The trainer: phase 7's GPT, phase 8's pieces, one loop. What the capstone runs and times.

    from solutions.phase08_training_gpt.trainer import TrainConfig, train
    train(TrainConfig(data_dir="build/data/shakespeare-char", out_dir="build/runs/char", vocab_size=76,
                      n_layer=4, n_head=4, n_embd=128, block_size=64, batch_size=12, max_steps=2000))

Each optimiser step: set the learning rate from the schedule, accumulate gradients over grad_accum_steps
micro-batches (under bf16 autocast where the device has it), clip the global gradient norm, step AdamW.
The step's loss stays on the device; every log_interval steps ONE host sync fetches the losses of those steps
and writes their JSON lines (a GPU runs ahead of the Python that feeds it until something asks for a number:
a .item() every step makes it wait every step). Every eval_interval steps and at the end: the validation
loss over a fixed set of batches, and an atomic checkpoint. The run stops at max_steps, after max_seconds of
wall time, or after max_cpu_seconds of this process's CPU time (time.process_time: every thread's),
whichever comes first.

The fast path is given (below TrainConfig): start_runtime picks the device and dtype, turns on TF32 matmuls on
CUDA only and, under torchrun, joins the process group; build_model pads the vocabulary to a multiple of
vocab_multiple (50257 -> 50304 at 64: the head's matmul in whole tiles) behind PaddedVocab, which cuts the
pad columns off the logits and the pad rows off the checkpoint; compile_model applies torch.compile where
config.compile says; Runtime.batch copies a batch pinned and non-blocking to CUDA.

Many processes: `torchrun --nproc_per_node N` (what `make capstone nproc=N` runs) starts N copies of the
trainer. Every process draws the same global batch and keeps its own 1/N of the rows (Runtime.shard), the
model is wrapped in DistributedDataParallel, which averages the gradients, so each step equals one process's
step on the whole batch; all but the last micro-batch run under no_sync (one all-reduce a step, not one per
micro-batch). Only rank 0 writes the log and the checkpoint.

Files in out_dir: ckpt.pt (torch.load(..., weights_only=True) reads it; its keys: CHECKPOINT_KEYS below) and
log.jsonl, one JSON object a line:
    {"step", "tokens", "loss", "lr", "tokens_per_s", "mfu", "elapsed_s"}   after every optimiser step (LOG_FIELDS)
    {"step", "tokens", "val_loss", "elapsed_s"}                             after every evaluation (VAL_LOG_FIELDS)
Seeding: torch.manual_seed(config.seed) before the GPT is built; the training batches come from
BatchSampler(train shards, batch_size, block_size, config.seed), the validation batches from one seeded VAL_SEED.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from ..phase07_gpt_architecture.device import pick_device
from ..phase07_gpt_architecture.model import GPT, GPTConfig
from .accumulation import accumulate_gradients
from .adamw import AdamW, parameter_groups
from .checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from .clipping import clip_grad_norm
from .evaluate import evaluate
from .precision import autocast_context, resolve_dtype
from .sampler import BatchSampler, open_shards
from .schedule import learning_rate
from .throughput import mfu, model_flops_per_token, peak_flops

VAL_SEED = 0   # every run, whatever its seed, is validated on the same batches

# The contract of out_dir that the checks and the capstone grader read (keys may be added, never removed).
LOG_FIELDS = ("step", "tokens", "loss", "lr", "tokens_per_s", "mfu", "elapsed_s")   # a line per optimiser step
VAL_LOG_FIELDS = ("step", "tokens", "val_loss", "elapsed_s")                        # a line per evaluation
CHECKPOINT_KEYS = ("model", "model_config", "step", "tokens", "val_loss", "best_val_loss", "elapsed_s", "nonce",
                   "optimizer", "sampler", "rng", "train_config")


@dataclass
class TrainConfig:
    data_dir: str                 # a folder written by data.prepare
    out_dir: str                  # checkpoints and log go here
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    block_size: int = 1024
    vocab_size: int = 50257
    dropout: float = 0.0
    bias: bool = True
    batch_size: int = 16
    grad_accum_steps: int = 1
    max_steps: int = 2000
    max_seconds: float | None = None       # wall seconds of training (a resumed run counts its earlier ones)
    max_cpu_seconds: float | None = None   # CPU seconds of this process (time.process_time); stop at whichever comes first
    lr: float = 6e-4
    min_lr: float = 6e-5
    warmup_steps: int = 100
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0        # 0 turns clipping off
    eval_interval: int = 100
    eval_batches: int = 20
    device: str = "auto"
    dtype: str = "auto"           # auto: bf16 autocast on cuda/mps where supported, fp32 on cpu
    compile: str | bool = "auto"      # auto: inductor on cuda, off on cpu and mps | off | inductor | aot_eager
    seed: int = 1337
    nonce: str = ""
    resume: bool = False
    progress: bool = True
    stop_at_step: int | None = None   # end early as if interrupted (after a checkpoint); the schedule still spans max_steps
    variant: str = "gpt2"             # gpt2: phase 7's GPT; llama: phase 9's LLaMA-style GPT (no biases)
    n_kv_head: int | None = None      # llama only: key-value heads (None: n_head // 2)
    optimizer: str = "adamw"          # adamw: phase 8's AdamW; fused: torch.optim.AdamW(fused=True), same groups;
                                      # muon: phase 9's Muon on the hidden matrices, AdamW on the rest
    log_interval: int = 10            # steps between host syncs; each writes one log line per step since the last
    vocab_multiple: int = 1           # pad the vocabulary to a multiple of this (64: 50257 -> 50304); 1: no padding

    def model_config(self):
        """GPTConfig, or phase 9's LlamaConfig for variant="llama"."""
        if self.variant != "gpt2":
            from ..phase09_modern_developments.variants import model_config
            return model_config(self)
        return GPTConfig(block_size=self.block_size, vocab_size=self.vocab_size, n_layer=self.n_layer,
                         n_head=self.n_head, n_embd=self.n_embd, dropout=self.dropout, bias=self.bias)


def padded_vocab_size(vocab_size: int, multiple: int) -> int:
    """The smallest multiple of `multiple` that holds vocab_size ids: 50257 at 64 -> 50304."""
    if multiple < 1:
        raise ValueError(f"vocab_multiple must be at least 1, got {multiple}")
    return -(-vocab_size // multiple) * multiple


class PaddedVocab(torch.nn.Module):
    """A GPT built with more vocabulary rows than ids, seen from outside at its real vocab_size.

    forward(idx (B, T), targets) -> (logits (B, T, vocab_size), loss): the pad columns are cut off the logits
    before the loss, so a pad id never wins an argmax and never gets probability (its row of the head gets no
    gradient). state_dict() and load_state_dict() hold the real rows only: a checkpoint loads into phase 7's
    GPT at vocab_size, and a resumed run gets its pad rows back as zeros (they never reach an output).
    """
    VOCAB_ROWS = ("transformer.wte.weight", "lm_head.weight")   # tied: one tensor under two names

    def __init__(self, model: torch.nn.Module, vocab_size: int):
        super().__init__()
        self.model, self.vocab_size = model, vocab_size

    @property
    def config(self):
        return self.model.config

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        logits = self.model(idx)[0][..., :self.vocab_size]
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.reshape(-1, self.vocab_size), targets.reshape(-1))

    def state_dict(self, *args, **kwargs):
        state = self.model.state_dict(*args, **kwargs)
        real = {}                                  # one copy of the real rows per storage: tied names share it
        for k in self.VOCAB_ROWS:
            if k in state:
                v = state[k]
                state[k] = real.setdefault(v.untyped_storage().data_ptr(), v[:self.vocab_size].clone())
        return state

    def load_state_dict(self, state, strict: bool = True, assign: bool = False):
        full = self.model.state_dict()
        padded = {}
        for k, v in state.items():
            if k in self.VOCAB_ROWS and k in full and v.shape[0] < full[k].shape[0]:
                v = torch.cat([v, v.new_zeros((full[k].shape[0] - v.shape[0], *v.shape[1:]))])
            padded[k] = v
        return self.model.load_state_dict(padded, strict=strict, assign=assign)

    def generate(self, idx: torch.Tensor, *args, **kwargs):
        raise NotImplementedError("generate from the checkpoint in phase 7's GPT (it holds the real vocabulary)")


def build_model(config: TrainConfig) -> torch.nn.Module:
    """Phase 7's GPT, or the model config.variant names (phase 9's variants.build_model); behind PaddedVocab
    when config.vocab_multiple pads the vocabulary."""
    padded = padded_vocab_size(config.vocab_size, config.vocab_multiple)
    shaped = replace(config, vocab_size=padded)
    if config.variant == "gpt2":
        model = GPT(shaped.model_config())
    else:
        from ..phase09_modern_developments.variants import build_model as build_variant
        model = build_variant(shaped)
    return model if padded == config.vocab_size else PaddedVocab(model, config.vocab_size)


def build_optimizer(model: torch.nn.Module, config: TrainConfig):
    """The optimiser config.optimizer names: "adamw", phase 8's AdamW over parameter_groups; "fused", torch's
    AdamW over the same groups in one fused kernel per step (the same update, fastest on a GPU); "muon", phase 9's
    Muon with AdamW (variants.build_optimizer)."""
    if config.optimizer in ("adamw", "fused"):
        groups, betas = parameter_groups(model, config.weight_decay), (config.beta1, config.beta2)
        if config.optimizer == "fused":
            return torch.optim.AdamW(groups, lr=config.lr, betas=betas, eps=1e-8, fused=True)
        return AdamW(groups, lr=config.lr, betas=betas, eps=1e-8)
    if config.optimizer != "muon":
        raise ValueError(f"optimizer={config.optimizer!r} is not one of adamw, fused, muon")
    from ..phase09_modern_developments.variants import build_optimizer as build_variant_optimizer
    return build_variant_optimizer(model, config)


def flops_per_token_of(model: torch.nn.Module) -> float:
    """model_flops_per_token for phase 7's GPT; phase 9's count for a model without a position table."""
    if isinstance(model, PaddedVocab):
        model = model.model                       # the padded head is computed: its FLOPs count
    if isinstance(model, GPT):
        return model_flops_per_token(model)
    from ..phase09_modern_developments.variants import flops_per_token
    return flops_per_token(model)


# ---------------------------------------------------------------- the fast path and many processes

COMPILE_CHOICES = ("auto", "off", "inductor", "aot_eager")


def compile_backend(choice: str | bool, device_type: str) -> str | None:
    """torch.compile's backend for config.compile on this device, or None for eager.

    auto: inductor on cuda; eager on cpu (a short run spends more time compiling than it saves) and on mps
    (Inductor has no MPS backend in most torch releases; aot_eager, which only traces, is the option to measure
    there). True and False, as older tiers write them, mean inductor and off.
    """
    choice = {True: "inductor", False: "off", None: "auto"}.get(choice, choice)
    if choice not in COMPILE_CHOICES:
        raise ValueError(f"unknown compile setting {choice!r}; valid: {', '.join(COMPILE_CHOICES)}, true, false")
    if choice == "auto":
        return "inductor" if device_type == "cuda" else None
    return None if choice == "off" else choice


def compile_model(model: torch.nn.Module, config: TrainConfig, device_type: str) -> torch.nn.Module:
    """torch.compile(model) with the backend config.compile names here; the model itself where it names none."""
    backend = compile_backend(config.compile, device_type)
    return model if backend is None else torch.compile(model, backend=backend)


def fast_matmuls(device_type: str) -> None:
    """float32 matmuls on TF32 tensor cores (10 mantissa bits in, float32 out), on CUDA only: the flags once gave
    wrong results on MPS, and on a CPU 'high' precision may mean bf16 passes."""
    if device_type == "cuda":
        torch.set_float32_matmul_precision("high")
        torch.backends.cudnn.allow_tf32 = True


def to_device(batch: tuple[torch.Tensor, ...], device: torch.device) -> tuple[torch.Tensor, ...]:
    """Tensors onto `device`. On CUDA through pinned (page-locked) memory with non_blocking=True, so the copy is
    queued behind the GPU's work instead of making the host wait for it; a plain .to() elsewhere."""
    if device.type == "cuda":
        return tuple(t.pin_memory().to(device, non_blocking=True) for t in batch)
    return tuple(t.to(device) for t in batch)


class RankShard:
    """A sampler seen by one of `world` processes: every batch's rows rank * b .. (rank + 1) * b - 1, where
    b = batch_size / world. All processes draw the same batches, so their shards are disjoint and together the
    whole batch; advancing one advances the sampler (its state_dict is the sampler's)."""

    def __init__(self, sampler: BatchSampler, rank: int, world: int):
        self.sampler, self.rank, self.world = sampler, rank, world

    def _rows(self, batch):
        b = batch[0].shape[0] // self.world
        return tuple(t[self.rank * b:(self.rank + 1) * b] for t in batch)

    def batch_at(self, position: int):
        return self._rows(self.sampler.batch_at(position))

    def next_batch(self):
        return self._rows(self.sampler.next_batch())


@dataclass
class Runtime:
    """Where this process trains: its device and dtype, and its rank among world_size processes (1 unless
    started by torchrun). `control` is a CPU (gloo) group for decisions the host takes, so they cost no GPU sync;
    owns_group: start_runtime joined the process group (and close() leaves it), rather than its caller."""
    device: torch.device
    dtype: torch.dtype
    rank: int = 0
    world_size: int = 1
    control: object = None
    owns_group: bool = False

    @property
    def main(self) -> bool:
        """Rank 0: the one process that writes the log and the checkpoint."""
        return self.rank == 0

    def autocast(self):
        return autocast_context(self.device.type, self.dtype)

    def shard(self, sampler: BatchSampler):
        return sampler if self.world_size == 1 else RankShard(sampler, self.rank, self.world_size)

    def batch(self, batches) -> tuple[torch.Tensor, torch.Tensor]:
        """The next (x, y) of `batches` (a sampler or its shard) on this process's device."""
        return to_device(batches.next_batch(), self.device)

    def distribute(self, model: torch.nn.Module) -> torch.nn.Module:
        """DistributedDataParallel(model) across the processes (it all-reduces the mean gradient in backward); the
        model itself in one process."""
        if self.world_size == 1:
            return model
        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    def forward_contexts(self, model: torch.nn.Module, n: int):
        """accumulate_gradients' `autocast` for a step of n micro-batches: a fresh context per forward pass, and
        under DistributedDataParallel model.no_sync() around the first n - 1, so that their backward passes only
        add into .grad and the last one all-reduces the sum (no_sync acts through the forward pass it wraps)."""
        calls = itertools.count()

        def context():
            if self.world_size == 1 or next(calls) == n - 1:
                return self.autocast()
            stack = ExitStack()
            stack.enter_context(model.no_sync())
            stack.enter_context(self.autocast())
            return stack
        return context

    def average(self, t: torch.Tensor) -> torch.Tensor:
        """The mean of tensor `t` over the processes (an all-reduce on the device; no host sync)."""
        if self.world_size == 1:
            return t
        t = t.clone()
        dist.all_reduce(t)
        return t / self.world_size

    def average_number(self, x: float) -> float:
        """The mean of a Python number over the processes, through the CPU group."""
        if self.world_size == 1:
            return x
        t = torch.tensor([float(x)], dtype=torch.float64)
        dist.all_reduce(t, group=self.control)
        return float(t[0]) / self.world_size

    def agree(self, flag: bool) -> bool:
        """Rank 0's decision, the same in every process (one stops, all stop: else the rest wait forever)."""
        if self.world_size == 1:
            return flag
        t = torch.tensor([int(flag)])
        dist.broadcast(t, 0, group=self.control)
        return bool(t[0])

    def close(self) -> None:
        """Wait for every process (so none reads a checkpoint rank 0 is still writing), then leave the group."""
        if self.world_size > 1:
            dist.barrier(group=self.control)
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()


def start_runtime(config: TrainConfig) -> Runtime:
    """The device (pick_device), the dtype (resolve_dtype), TF32 on CUDA, and under torchrun (WORLD_SIZE > 1) the
    process group: nccl on CUDA (one GPU a process: cuda:LOCAL_RANK), gloo on the CPU. An Apple GPU is one
    device: several processes there are refused."""
    device = pick_device(config.device)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, control, owns = 0, None, False
    if world > 1:
        if device.type == "mps":
            raise ValueError(f"{world} processes on one Apple GPU: MPS trains in one process (nproc=1)")
        if config.batch_size % world:
            raise ValueError(f"batch_size {config.batch_size} does not split into {world} equal shards; "
                             f"use a multiple of {world}")
        rank = int(os.environ["RANK"])
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
            owns = True
        control = dist.new_group(backend="gloo") if device.type == "cuda" else dist.group.WORLD
    fast_matmuls(device.type)
    return Runtime(device, resolve_dtype(config.dtype, device.type), rank, world, control, owns)


def _check_data(config: TrainConfig) -> None:
    meta_path = Path(config.data_dir) / "meta.json"
    if not meta_path.exists():
        raise FileNotFoundError(f"{config.data_dir} has no meta.json; prepare data first: python -m data.prepare")
    meta = json.loads(meta_path.read_text())
    if meta["vocab_size"] > config.vocab_size:
        raise ValueError(f"the data's vocabulary ({meta['vocab_size']}) is larger than vocab_size={config.vocab_size}")


def _rewrite_log(path: Path, last_step: int) -> None:
    """Keep the log lines up to the checkpoint's step: a resumed run writes the later ones again."""
    if path.exists():
        keep = [line for line in path.read_text().splitlines() if line.strip() and json.loads(line)["step"] <= last_step]
        path.write_text("".join(line + "\n" for line in keep))


def train(config: TrainConfig) -> dict:
    """Train a GPT as `config` says; returns {"step", "tokens", "best_val_loss", "seconds"}.

    Use the given pieces: runtime = start_runtime(config) (device, dtype, rank), build_model, build_optimizer,
    runtime.shard(sampler) and runtime.batch(...) for the batches, compile_model and runtime.distribute for the
    model that steps, runtime.forward_contexts(...) as accumulate_gradients' autocast. Keep each step's loss
    on the device and fetch the losses once every config.log_interval steps (and before an evaluation or the
    end) with one .tolist() of runtime.average(torch.stack(losses)); then write their log lines. Only
    runtime.main writes files; runtime.agree(...) every stopping decision that reads a clock.
    """
    # BEGIN SOLUTION
    runtime = start_runtime(config)
    device = runtime.device
    out = Path(config.out_dir)
    ckpt_path, log_path = out / "ckpt.pt", out / "log.jsonl"
    if runtime.main:
        out.mkdir(parents=True, exist_ok=True)
    _check_data(config)

    torch.manual_seed(config.seed)
    model = build_model(config).to(device)
    optimizer = build_optimizer(model, config)
    train_batches = BatchSampler(open_shards(config.data_dir, "train"), config.batch_size, config.block_size, config.seed)
    val_batches = BatchSampler(open_shards(config.data_dir, "val"), config.batch_size, config.block_size, VAL_SEED)
    my_train, my_val = runtime.shard(train_batches), runtime.shard(val_batches)

    step, tokens, best_val, val_loss, elapsed_before = 0, 0, math.inf, math.nan, 0.0
    if config.resume and ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path)          # on the CPU: load_state_dict moves tensors where they belong
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        train_batches.load_state_dict(ckpt["sampler"])
        step, tokens, val_loss = ckpt["step"], ckpt["tokens"], ckpt["val_loss"]
        best_val, elapsed_before = ckpt["best_val_loss"], ckpt["elapsed_s"]
        set_rng_state(ckpt["rng"])
        if runtime.main:
            _rewrite_log(log_path, step)
    elif runtime.main:
        log_path.write_text("")
    eval_model = compile_model(model, config, device.type)
    forward_model = runtime.distribute(eval_model)

    flops = flops_per_token_of(model)
    peak = peak_flops(device.type, torch.cuda.get_device_name(device) if device.type == "cuda" else device.type)
    tokens_per_step = config.batch_size * config.block_size * config.grad_accum_steps
    start = time.perf_counter()
    elapsed = lambda: elapsed_before + time.perf_counter() - start  # noqa: E731
    log = log_path.open("a") if runtime.main else None
    pending = []                                  # (step, tokens, lr, loss on the device) since the last sync
    since = time.perf_counter()

    def write(record: dict) -> None:
        if log is not None:
            log.write(json.dumps(record) + "\n")

    def flush() -> None:
        """The one host sync of a log interval: every pending step's loss, averaged over the processes."""
        nonlocal pending, since
        if not pending:
            return
        losses = runtime.average(torch.stack([p[3] for p in pending])).tolist()
        now = time.perf_counter()
        tokens_per_s = tokens_per_step * len(pending) / (now - since)
        for (s, t, lr, _), loss_value in zip(pending, losses):
            write(dict(zip(LOG_FIELDS, (s, t, loss_value, lr, round(tokens_per_s, 1),
                                        round(mfu(tokens_per_s, flops, peak), 5), round(elapsed(), 3)))))
        if log is not None:
            log.flush()
        bar.update(len(pending))
        bar.set_description(f"loss {losses[-1]:.4f} | {tokens_per_s:,.0f} tok/s", refresh=False)
        bad = next(((s, v) for (s, *_), v in zip(pending, losses) if not math.isfinite(v)), None)
        pending, since = [], now
        if bad is not None:
            bar.close()
            if log is not None:
                log.close()
            raise FloatingPointError(f"training loss is {bad[1]} at step {bad[0]}; lower lr or check the data")

    def checkpoint() -> None:
        if runtime.main:
            save_checkpoint({
                "model": model.state_dict(), "model_config": asdict(config.model_config()), "step": step,
                "tokens": tokens, "val_loss": val_loss, "best_val_loss": best_val, "elapsed_s": elapsed(),
                "nonce": config.nonce, "optimizer": optimizer.state_dict(), "sampler": train_batches.state_dict(),
                "rng": rng_state(), "train_config": asdict(config)}, ckpt_path)

    def validate() -> None:
        nonlocal val_loss, best_val
        flush()
        mine = evaluate(eval_model, my_val, config.eval_batches, device, runtime.autocast)
        val_loss = runtime.average_number(mine)
        best_val = min(best_val, val_loss)
        write(dict(zip(VAL_LOG_FIELDS, (step, tokens, val_loss, round(elapsed(), 3)))))
        if log is not None:
            log.flush()
        bar.set_postfix_str(f"val {val_loss:.4f}", refresh=False)

    def out_of_time() -> bool:
        return ((config.max_seconds is not None and elapsed() >= config.max_seconds)
                or (config.max_cpu_seconds is not None and time.process_time() >= config.max_cpu_seconds))

    from tqdm import tqdm
    bar = tqdm(total=config.max_steps, initial=step, unit="step", disable=not (config.progress and runtime.main),
               dynamic_ncols=True)
    model.train()
    evaluated_at = step if config.resume and step > 0 else -1
    while step < config.max_steps:
        if runtime.agree(out_of_time()):
            break
        lr = learning_rate(step, config.lr, config.min_lr, config.warmup_steps, config.max_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        micro = [runtime.batch(my_train) for _ in range(config.grad_accum_steps)]
        loss = accumulate_gradients(forward_model, micro, runtime.forward_contexts(forward_model, len(micro)))
        if config.grad_clip > 0:
            clip_grad_norm(model.parameters(), config.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        tokens += tokens_per_step
        pending.append((step, tokens, lr, loss))
        if step % config.log_interval == 0:
            flush()
        if step % config.eval_interval == 0 or step == config.max_steps:
            validate()
            evaluated_at = step
            checkpoint()
        if config.stop_at_step is not None and step >= config.stop_at_step:
            break
    flush()
    if evaluated_at != step:
        validate()
        checkpoint()
    elif not ckpt_path.exists():
        checkpoint()
    bar.close()
    if log is not None:
        log.close()
    runtime.close()
    return {"step": step, "tokens": tokens, "best_val_loss": best_val, "seconds": round(elapsed(), 3)}
    # END SOLUTION


def config_from_dict(values: dict) -> TrainConfig:
    """TrainConfig from a dict (a JSON file, say), naming any unknown key."""
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown training settings {unknown}; valid: {', '.join(sorted(known))}")
    return TrainConfig(**values)
