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
    # BEGIN SOLUTION
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)
    # END SOLUTION


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Layer norm over the last axis: x (..., C), gamma, beta (C,) -> (..., C). (The forward without its cache.)"""
    return layer_norm_forward(x, gamma, beta, eps)[0]


def layer_norm_backward(dout: np.ndarray, cache):
    """dout (..., C) -> (dx (..., C), dgamma (C,), dbeta (C,)); dgamma and dbeta sum over every position.

    With g = dout * gamma: dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps), means over the C features.
    """
    # BEGIN SOLUTION
    x_hat, inv_std, gamma = cache
    axes = tuple(range(dout.ndim - 1))
    dgamma, dbeta = np.sum(dout * x_hat, axis=axes), np.sum(dout, axis=axes)
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=-1, keepdims=True) - x_hat * (g * x_hat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta
    # END SOLUTION


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
    # BEGIN SOLUTION
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(GELU_TANH_C * (x + 0.044715 * x * x * x)))
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))
    # END SOLUTION


def gelu_backward(dout: np.ndarray, x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """dL/dx = dout * GELU'(x), x the forward's input; GELU'(x) = Phi(x) + x phi(x) for the exact form,
    phi the normal density, and the derivative of the tanh formula for approximate="tanh"."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    # BEGIN SOLUTION
    if approximate == "tanh":
        t = np.tanh(GELU_TANH_C * (x + 0.044715 * x * x * x))
        dt = (1.0 - t ** 2) * GELU_TANH_C * (1.0 + 3 * 0.044715 * x ** 2)
        return dout * (0.5 * (1.0 + t) + 0.5 * x * dt)
    cdf = 0.5 * (1.0 + _erf(x / np.sqrt(2.0)))
    pdf = np.exp(-0.5 * x ** 2) / np.sqrt(2.0 * np.pi)
    return dout * (cdf + x * pdf)
    # END SOLUTION


def sinusoidal_positional_encoding(T: int, d: int) -> np.ndarray:
    """(T, d) table, row = position, as in Vaswani et al. (2017), section 3.5:

        PE[pos, 2i] = sin(pos / 10000^(2i / d)),   PE[pos, 2i + 1] = cos(pos / 10000^(2i / d))

    sin on the even columns, cos on the odd ones; column pair i turns at wavelength 2 pi 10000^(2i/d).
    """
    # BEGIN SOLUTION
    pos = np.arange(T)[:, None]
    two_i = np.arange(0, d, 2)
    angles = pos / 10000.0 ** (two_i / d)                  # (T, ceil(d / 2))
    pe = np.zeros((T, d))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, : d // 2])
    return pe
    # END SOLUTION
