"""Training a two-layer network with SGD and momentum on a 2-D spiral that no straight line can split."""
import numpy as np

from .layers import linear_backward, linear_forward, relu_backward, relu_forward, softmax_cross_entropy


def make_spiral(n_per_class: int, n_classes: int, rng: np.random.Generator, noise: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """n_classes interleaved spiral arms in the plane: X (n_per_class * n_classes, 2), y (same,) ints."""
    X, y = [], []
    for k in range(n_classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        theta = np.linspace(k * 4.0, (k + 1) * 4.0, n_per_class) + rng.normal(0, noise, n_per_class)
        X.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        y.append(np.full(n_per_class, k))
    return np.concatenate(X), np.concatenate(y)


def sgd_momentum_step(params: dict, grads: dict, velocities: dict, lr: float, momentum: float) -> None:
    """In place, for every key: v <- momentum v - lr g; p <- p + v (Polyak's heavy ball, Sutskever's form).

    params, grads, velocities: dicts of arrays with the same keys and shapes (velocities start at zero).
    """
    raise NotImplementedError("sgd_momentum_step is not written yet (exercise 'training'; hints: make hint ex=training)")


def init_two_layer(n_in: int, hidden: int, n_out: int, rng: np.random.Generator) -> dict:
    """He-initialised weights for x -> linear -> ReLU -> linear -> logits."""
    return {"W1": rng.normal(0, np.sqrt(2.0 / n_in), (n_in, hidden)), "b1": np.zeros(hidden),
            "W2": rng.normal(0, np.sqrt(2.0 / hidden), (hidden, n_out)), "b2": np.zeros(n_out)}


def two_layer_loss(params: dict, X: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """Mean cross-entropy of the two-layer network on (X, y) and the gradient of every parameter.

    Chain the layers' forward passes, then their backward passes in reverse order.
    """
    raise NotImplementedError("two_layer_loss is not written yet (exercise 'training'; hints: make hint ex=training)")


def predict(params: dict, X: np.ndarray) -> np.ndarray:
    """Class index with the largest logit, (N,)."""
    h = np.maximum(0, X @ params["W1"] + params["b1"])
    return np.argmax(h @ params["W2"] + params["b2"], axis=1)


def train_spiral(X: np.ndarray, y: np.ndarray, rng: np.random.Generator, hidden: int = 100, steps: int = 1000,
                 lr: float = 0.5, momentum: float = 0.9) -> tuple[dict, list[float]]:
    """Full-batch SGD with momentum; returns (params, loss at every step)."""
    params = init_two_layer(X.shape[1], hidden, int(y.max()) + 1, rng)
    velocities = {k: np.zeros_like(v) for k, v in params.items()}
    losses = []
    for _ in range(steps):
        loss, grads = two_layer_loss(params, X, y)
        sgd_momentum_step(params, grads, velocities, lr, momentum)
        losses.append(loss)
    return params, losses


def main() -> None:
    import time
    rng = np.random.default_rng(0)
    X, y = make_spiral(100, 3, rng)
    for momentum in (0.0, 0.9):
        start = time.process_time()
        params, losses = train_spiral(X, y, np.random.default_rng(1), momentum=momentum)
        acc = np.mean(predict(params, X) == y)
        reached = next((i for i, loss in enumerate(losses) if loss < 0.2), None)
        print(f"momentum {momentum}: loss {losses[0]:.3f} -> {losses[-1]:.3f}, accuracy {acc:.1%}, "
              f"first step with loss < 0.2: {reached}, CPU {time.process_time() - start:.2f} s")


if __name__ == "__main__":
    main()
