"""Shared pieces of the phase-6 parity checks: random phase-5 weights, loading them, comparing gradients.

Parity is checked in float64, where PyTorch and NumPy agree to rounding (about 1e-15 relative per
operation); the tolerances (1e-10) leave room for sums in a different order, not for a different formula.
"""
import numpy as np
import torch

from checks.helpers import assert_close, fail

RTOL, ATOL = 1e-10, 1e-12

def randomize(params: dict, rng: np.random.Generator) -> dict:
    """Copies of phase 5's parameters with values large enough that every part matters (phase 5 initialises
    gamma to 1, beta and biases to 0 and weights at 0.02, which would hide an ignored bias or layer norm)."""
    out = {}
    for name, value in params.items():
        last = name.split(".")[-1]
        if last == "gamma":
            out[name] = 1 + 0.2 * rng.normal(size=value.shape)
        elif last.startswith("W_") or value.ndim == 2:
            out[name] = rng.normal(scale=0.4, size=value.shape)
        else:
            out[name] = 0.1 * rng.normal(size=value.shape)
    return out


def load(converter, module: torch.nn.Module, params: dict, what: str) -> torch.nn.Module:
    """converter.from_numpy(module, params), with load_state_dict's complaint about names or shapes reworded."""
    try:
        return converter.from_numpy(module, params)
    except RuntimeError as err:
        fail(f"loading phase 5's weights into {what} failed: {' '.join(str(err).split())[:400]}",
             mistake="name the submodules as the docstring says (proj_q, ln_1, ...): the state dict's keys come "
                     "from phase 5's names by layers.torch_name")


def tensor(array: np.ndarray, requires_grad: bool = True) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)


def numpy64(t) -> np.ndarray:
    """A float64 tensor's values as they are (checks.helpers.to_numpy would round a tensor to float32)."""
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def compare_output(out, expected, what: str, mistake: str | None = None):
    if not isinstance(out, torch.Tensor):
        fail(f"{what} returned {type(out).__name__}; expected a torch.Tensor")
    if out.dtype != torch.float64:
        fail(f"{what} returned {out.dtype} for float64 inputs and weights; keep float64 (no torch.tensor(..., "
             "dtype=torch.float32) or .float() inside the module)")
    assert_close(numpy64(out), expected, what, rtol=RTOL, atol=ATOL, mistake=mistake)


def compare_grads(got: dict, expected: dict, what: str, mistake: str | None = None):
    for name, e in expected.items():
        assert_close(got[name], e, f"gradient of '{name}' {what}", rtol=RTOL, atol=ATOL, mistake=mistake)


def input_grad(t: torch.Tensor, what: str) -> np.ndarray:
    if t.grad is None:
        fail(f"{what}: the input got no gradient; is the module's output computed from it with torch operations "
             "(no .detach(), .numpy() or torch.no_grad() in forward)?")
    return numpy64(t.grad)
