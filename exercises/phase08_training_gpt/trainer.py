"""The trainer: phase 7's GPT, phase 8's pieces, one loop. What the capstone runs and times.

    from solutions.phase08_training_gpt.trainer import TrainConfig, train
    train(TrainConfig(data_dir="build/data/shakespeare-char", out_dir="build/runs/char", vocab_size=76,
                      n_layer=4, n_head=4, n_embd=128, block_size=64, batch_size=12, max_steps=2000))

Each optimiser step: set the learning rate from the schedule, accumulate gradients over grad_accum_steps
micro-batches (under bf16 autocast where the device has it), clip the global gradient norm, step AdamW,
log one JSON line. Every eval_interval steps and at the end: the validation loss over a fixed set of
batches, and an atomic checkpoint. The run stops at max_steps, after max_seconds of wall time, or after
max_cpu_seconds of this process's CPU time (time.process_time: every thread's), whichever comes first.

Files in out_dir: ckpt.pt (torch.load(..., weights_only=True) reads it; its keys: CHECKPOINT_KEYS below) and
log.jsonl, one JSON object a line:
    {"step", "tokens", "loss", "lr", "tokens_per_s", "mfu", "elapsed_s"}   after every optimiser step (LOG_FIELDS)
    {"step", "tokens", "val_loss", "elapsed_s"}                             after every evaluation (VAL_LOG_FIELDS)
Seeding: torch.manual_seed(config.seed) before the GPT is built; the training batches come from
BatchSampler(train shards, batch_size, block_size, config.seed), the validation batches from one seeded VAL_SEED.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch

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
    compile: bool = False
    seed: int = 1337
    nonce: str = ""
    resume: bool = False
    progress: bool = True
    stop_at_step: int | None = None   # end early as if interrupted (after a checkpoint); the schedule still spans max_steps
    variant: str = "gpt2"             # gpt2: phase 7's GPT; llama: phase 9's LLaMA-style GPT (no biases)
    n_kv_head: int | None = None      # llama only: key-value heads (None: n_head // 2)
    optimizer: str = "adamw"          # adamw; muon: phase 9's Muon on the hidden matrices, AdamW on the rest

    def model_config(self):
        """GPTConfig, or phase 9's LlamaConfig for variant="llama"."""
        if self.variant != "gpt2":
            from ..phase09_modern_developments.variants import model_config
            return model_config(self)
        return GPTConfig(block_size=self.block_size, vocab_size=self.vocab_size, n_layer=self.n_layer,
                         n_head=self.n_head, n_embd=self.n_embd, dropout=self.dropout, bias=self.bias)


def build_model(config: TrainConfig) -> torch.nn.Module:
    """Phase 7's GPT, or the model config.variant names (phase 9's variants.build_model)."""
    if config.variant == "gpt2":
        return GPT(config.model_config())
    from ..phase09_modern_developments.variants import build_model as build_variant
    return build_variant(config)


def build_optimizer(model: torch.nn.Module, config: TrainConfig):
    """Phase 8's AdamW over parameter_groups, or the optimiser config.optimizer names (phase 9's variants)."""
    if config.optimizer == "adamw":
        return AdamW(parameter_groups(model, config.weight_decay), lr=config.lr, betas=(config.beta1, config.beta2),
                     eps=1e-8)
    from ..phase09_modern_developments.variants import build_optimizer as build_variant_optimizer
    return build_variant_optimizer(model, config)


def flops_per_token_of(model: torch.nn.Module) -> float:
    """model_flops_per_token for phase 7's GPT; phase 9's count for a model without a position table."""
    if isinstance(model, GPT):
        return model_flops_per_token(model)
    from ..phase09_modern_developments.variants import flops_per_token
    return flops_per_token(model)


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
    """Train a GPT as `config` says; returns {"step", "tokens", "best_val_loss", "seconds"}."""
    raise NotImplementedError("train is not written yet (exercise 'trainer'; hints: make hint ex=trainer)")


def config_from_dict(values: dict) -> TrainConfig:
    """TrainConfig from a dict (a JSON file, say), naming any unknown key."""
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown training settings {unknown}; valid: {', '.join(sorted(known))}")
    return TrainConfig(**values)
