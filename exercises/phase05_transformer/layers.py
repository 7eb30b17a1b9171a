"""Layer normalisation (Ba et al. 2016), GELU (Hendrycks and Gimpel 2016) and sinusoidal positions (Vaswani
et al. 2017): the three small pieces a transformer block adds to phase 4's attention.

Shapes: x (..., C) with the features on the last axis; gamma, beta (C,). Every backward takes the upstream
gradient dout shaped like the forward's output.
"""
import numpy as np

GELU_TANH_C = np.sqrt(2.0 / np.pi)


def layer_norm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5):
    """Normalise each position over its C features, then scale and shift:

        mu = mean(x), var = mean((x - mu)^2) (the biased variance, divided by C), x_hat = (x - mu) / sqrt(var + eps)
        out = gamma * x_hat + beta

    x (..., C), gamma, beta (C,) -> (out (..., C), cache) with what the backward needs.
    """
    raise NotImplementedError("layer_norm_forward is not written yet (exercise 'transformer_layers'; hints: make hint ex=transformer_layers)")


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Layer norm over the last axis: x (..., C), gamma, beta (C,) -> (..., C). (The forward without its cache.)"""
    return layer_norm_forward(x, gamma, beta, eps)[0]


def layer_norm_backward(dout: np.ndarray, cache):
    """dout (..., C) -> (dx (..., C), dgamma (C,), dbeta (C,)); dgamma and dbeta sum over every position.

    With g = dout * gamma: dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps), means over the C features.
    """
    raise NotImplementedError("layer_norm_backward is not written yet (exercise 'transformer_layers'; hints: make hint ex=transformer_layers)")


def _erf(x: np.ndarray) -> np.ndarray:
    """Given: the error function elementwise (NumPy has none; math.erf is exact to double precision)."""
    from math import erf
    return np.vectorize(erf, otypes=[np.float64])(x)


def gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """GELU(x) = x Phi(x), Phi the standard normal CDF; elementwise, any shape.

    approximate="none": Phi(x) = (1 + erf(x / sqrt 2)) / 2 (exact).
    approximate="tanh": Phi(x) ~ (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2 (GPT-2's, and BERT's).
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    raise NotImplementedError("gelu is not written yet (exercise 'transformer_layers'; hints: make hint ex=transformer_layers)")


def gelu_backward(dout: np.ndarray, x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """dL/dx = dout * GELU'(x), x the forward's input; GELU'(x) = Phi(x) + x phi(x) for the exact form,
    phi the normal density, and the derivative of the tanh formula for approximate="tanh"."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    raise NotImplementedError("gelu_backward is not written yet (exercise 'transformer_layers'; hints: make hint ex=transformer_layers)")


def sinusoidal_positional_encoding(T: int, d: int) -> np.ndarray:
    """(T, d) table, row = position, as in Vaswani et al. (2017), section 3.5:

        PE[pos, 2i] = sin(pos / 10000^(2i / d)),   PE[pos, 2i + 1] = cos(pos / 10000^(2i / d))

    sin on the even columns, cos on the odd ones; column pair i turns at wavelength 2 pi 10000^(2i/d).
    """
    raise NotImplementedError("sinusoidal_positional_encoding is not written yet (exercise 'transformer_layers'; hints: make hint ex=transformer_layers)")
