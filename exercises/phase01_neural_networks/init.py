"""Weight initialisation: pick the scale so that signals neither die nor blow up as they cross many layers.

A layer y = x W with fan_in inputs of variance v gives outputs of variance fan_in Var(W) v. Keeping
fan_in Var(W) near 1 (times the activation's gain) keeps the signal alive through depth.
"""
import numpy as np


def xavier_init(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """Glorot & Bengio (2010), "normalized initialization": U(-a, a), a = sqrt(6 / (fan_in + fan_out)).

    Var(W) = a^2 / 3 = 2 / (fan_in + fan_out). Returns (fan_in, fan_out).
    """
    raise NotImplementedError("xavier_init is not written yet (exercise 'init'; hints: make hint ex=init)")


def he_init(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """He et al. (2015) for ReLU: N(0, 2 / fan_in) (ReLU zeroes half the signal; the 2 gives it back).

    Returns (fan_in, fan_out).
    """
    raise NotImplementedError("he_init is not written yet (exercise 'init'; hints: make hint ex=init)")


def activation_stds(init, activation, depth: int, width: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Push n standard-normal inputs of size `width` through `depth` layers x <- activation(x @ W).

    init(fan_in, fan_out, rng) draws each W (width, width); activation maps an array to an array.
    Returns (depth,): the standard deviation of all activations after each layer.
    """
    raise NotImplementedError("activation_stds is not written yet (exercise 'init'; hints: make hint ex=init)")


def main() -> None:
    """The table in the notes: activation std at layers 1, 5, 10, 20 (width 256, 256 inputs, seed 0 per row)."""
    def relu(x):
        return np.maximum(0, x)
    rows = [("N(0, 0.01^2), tanh", lambda i, o, r: r.normal(0, 0.01, (i, o)), np.tanh),
            ("N(0, 1), tanh", lambda i, o, r: r.normal(0, 1, (i, o)), np.tanh),
            ("Xavier, tanh", xavier_init, np.tanh), ("Xavier, ReLU", xavier_init, relu), ("He, ReLU", he_init, relu)]
    for name, init, activation in rows:
        stds = activation_stds(init, activation, 20, 256, 256, np.random.default_rng(0))
        print(f"{name:20s}" + "".join(f"{stds[i]:10.3g}" for i in (0, 4, 9, 19)) + f"   range {stds.min():.3g}..{stds.max():.3g}")


if __name__ == "__main__":
    main()
