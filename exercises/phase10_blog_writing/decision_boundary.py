"""Phase 1 in one picture: the perceptron's straight line cannot split XOR; a two-layer network bends it.

Minsky and Papert (1969) proved that no single threshold unit computes XOR; a hidden layer trained by
backpropagation (Rumelhart, Hinton & Williams, 1986) does it at once. The figure colours a grid of points by
each model's prediction and draws the four clouds of XOR on top: what you see is exactly what each model
predicts at each grid point, from your own phase 1 code.
"""
from __future__ import annotations

import numpy as np

from ..phase01_neural_networks.perceptron import perceptron_predict, perceptron_train
from ..phase01_neural_networks.training import predict as mlp_predict
from ..phase01_neural_networks.training import train_spiral

LIMIT = 2.0          # the grid spans [-LIMIT, LIMIT] on both axes


def xor_clouds(n_per_corner: int, rng: np.random.Generator, noise: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """Given: four Gaussian clouds at (+-1, +-1); label 1 where exactly one coordinate is positive (XOR), else 0.
    X (4 n, 2) floats, y (4 n,) ints in {0, 1}."""
    corners = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    X = np.repeat(corners, n_per_corner, axis=0) + rng.normal(0, noise, (4 * n_per_corner, 2))
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    return X, y


def grid_points(lo: float, hi: float, n: int) -> np.ndarray:
    """The n x n grid over [lo, hi]^2 as points (n * n, 2), row by row: point i * n + j is (xs[j], xs[i]) with
    xs = np.linspace(lo, hi, n), so x varies fastest (np.meshgrid's order)."""
    raise NotImplementedError("grid_points is not written yet (exercise 'xor_boundaries'; hints: make hint ex=xor_boundaries)")


def boundary_grid(predict, lo: float, hi: float, n: int) -> np.ndarray:
    """A classifier's predictions over the grid: predict maps points (M, 2) to labels (M,); returns (n, n) ints
    where entry [i, j] is the label at (xs[j], xs[i]), the layout plt.contourf(xs, xs, Z) and imshow expect."""
    raise NotImplementedError("boundary_grid is not written yet (exercise 'xor_boundaries'; hints: make hint ex=xor_boundaries)")


def xor_boundaries(seed: int = 0, n_per_corner: int = 50, grid: int = 81, epochs: int = 50, hidden: int = 16,
                   steps: int = 500) -> dict:
    """The figure's data, from your phase 1: XOR clouds (xor_clouds(n_per_corner, default_rng(seed))), a
    perceptron trained on them (perceptron_train with labels 2y - 1, `epochs`, lr 1) and the two-layer ReLU
    network of phase 1's training.py (train_spiral(X, y, rng, hidden, steps, lr=0.1), the same rng, after the
    data). Returns
        "X" (N, 2), "y" (N,), "xs" (grid,) the grid's coordinates,
        "perceptron": {"w" (2,), "b", "grid" (grid, grid) labels in {0, 1}, "accuracy" on (X, y)},
        "mlp": {"grid" (grid, grid), "accuracy"}.
    The perceptron's labels are mapped from {-1, +1} to {0, 1} so that both grids mean the same thing."""
    raise NotImplementedError("xor_boundaries is not written yet (exercise 'xor_boundaries'; hints: make hint ex=xor_boundaries)")


def plot_xor_boundaries(data: dict, path) -> None:
    """Given: the two grids side by side, the clouds on top, each panel titled with its accuracy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.9), sharey=True)
    for ax, name, title in zip(axes, ("perceptron", "mlp"), ("perceptron (Rosenblatt 1958)", "two-layer network")):
        ax.contourf(data["xs"], data["xs"], data[name]["grid"], levels=[-0.5, 0.5, 1.5], colors=["#cfe0f3", "#f6d3c4"])
        for label, colour, marker in ((0, "tab:blue", "o"), (1, "tab:red", "s")):
            points = data["X"][data["y"] == label]
            ax.scatter(points[:, 0], points[:, 1], s=9, c=colour, marker=marker, label=f"class {label}")
        ax.set_title(f"{title}: {100 * data[name]['accuracy']:.0f}% right", fontsize=10)
        ax.set_xlabel("$x_1$")
        ax.set_aspect("equal")
    axes[0].set_ylabel("$x_2$")
    axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle("XOR: no straight line separates the classes; one hidden layer does", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
