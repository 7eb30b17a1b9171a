"""Before a capstone run: does this device's attention keep the future out, at the dtype the trainer will use?

Phase 7's causality property, on the run's own device: a small GPT with the tier's block_size and heads reads two
sequences that agree up to position s and differ everywhere after it; the logits at positions 0..s must agree
too. A device whose fused causal attention leaks (PyTorch once shipped one: half-precision causal SDPA on MPS
that attended to later positions) would train a model that cheats on the training loss and is useless to
sample from; the engine refuses it before a run folder exists.
"""
from __future__ import annotations

from grading import UsageError

LAYERS, VOCAB, BATCH = 1, 64, 2
ATOL = {"float32": 1e-5}     # other dtypes: 3e-2, phase 7's check's bound for bfloat16 and float16


def _reference(module: str):
    from grading.trees import Tree

    return Tree("solutions").load(module)


def future_leak(device: str, dtype, block_size: int, n_head: int, n_embd: int, seed: int = 0) -> float:
    """The largest change of the logits at positions 0..s when only tokens s+1.. change (0 when causal), for the
    reference GPT on `device` under autocast at `dtype` (the trainer's forward pass)."""
    import torch

    gpt = _reference("phase07_gpt_architecture.model")
    precision = _reference("phase08_training_gpt.precision")
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = gpt.GPT(gpt.GPTConfig(block_size=block_size, vocab_size=VOCAB, n_layer=LAYERS, n_head=n_head,
                                  n_embd=n_embd, dropout=0.0)).to(device).eval()
    s = block_size // 2 - 1
    a = torch.randint(0, VOCAB, (BATCH, block_size), generator=gen)
    b = a.clone()
    b[:, s + 1:] = (a[:, s + 1:] + 1 + torch.randint(0, VOCAB - 1, (BATCH, block_size - s - 1), generator=gen)) % VOCAB
    with torch.no_grad(), precision.autocast_context(device, dtype):
        la, _ = model(a.to(device))
        lb, _ = model(b.to(device))
    return float((la[:, :s + 1].float() - lb[:, :s + 1].float()).abs().max())


def refuse_leaking_attention(device: str, settings: dict) -> None:
    """A UsageError in one line when the run's device and dtype let a position see later tokens."""
    precision = _reference("phase08_training_gpt.precision")
    try:
        dtype = precision.resolve_dtype(settings.get("dtype", "auto"), device)
    except ValueError as err:
        raise UsageError(str(err)) from None
    name = str(dtype).removeprefix("torch.")
    leak = future_leak(device, dtype, int(settings["block_size"]), int(settings["n_head"]), int(settings["n_embd"]))
    if leak > ATOL.get(name, 3e-2):
        raise UsageError(f"refusing {device}: its causal attention at {name} lets a position see later tokens (the "
                         f"logits before position {int(settings['block_size']) // 2} moved by {leak:.3g} when only "
                         f"later tokens changed); train with dtype=float32, on another device, or with another torch")
