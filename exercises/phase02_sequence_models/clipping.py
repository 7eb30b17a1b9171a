"""Exploding and vanishing gradients through time, and clipping by global norm (Pascanu et al. 2013).

Backpropagating through a tanh RNN multiplies the gradient at every step by diag(1 - h_t^2) Wh^T. Over
T steps that is a product of T matrices: its size grows or shrinks roughly like (largest singular value)^T.

    python -m solutions.phase02_sequence_models.clipping      # the measured norms quoted in the notes
"""
import numpy as np


def clip_by_global_norm(grads: list[np.ndarray], max_norm: float) -> tuple[list[np.ndarray], float]:
    """Scale ALL gradients by one factor min(1, max_norm / total) where total = sqrt(sum of every squared entry).

    The direction of the full gradient is kept; only its length is capped. Returns (new arrays, total norm
    before clipping). The inputs are not modified.
    """
    raise NotImplementedError("clip_by_global_norm is not written yet (exercise 'clipping'; hints: make hint ex=clipping)")


def gradient_norms_through_time(Wh: np.ndarray, hs: np.ndarray, dh_last: np.ndarray) -> np.ndarray:
    """||d loss / d h_t|| for t = 0 .. T-1 when the loss touches only the last state of a tanh RNN.

    hs (T, H): the hidden states h_0 .. h_{T-1} of one sequence (h_t = tanh(... + h_{t-1} Wh)); dh_last (H,):
    d loss / d h_{T-1}. Going back one step: dh_{t-1} = (dh_t * (1 - h_t^2)) Wh^T. Returns (T,) norms.
    """
    raise NotImplementedError("gradient_norms_through_time is not written yet (exercise 'clipping'; hints: make hint ex=clipping)")


def demo(T: int = 50, H: int = 64, seed: int = 0) -> None:
    """Norms of d loss / d h_t at a few distances from the end, for recurrent weights of growing scale."""
    from .rnn import rnn_forward
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(H, H)))
    dh_last = rng.normal(size=H)
    dh_last /= np.linalg.norm(dh_last)
    print(f"||dL/dh_t|| for a unit gradient at step {T - 1}, {T} steps, H = {H}")
    print("linear RNN, Wh = scale x orthogonal (norm = scale^(T-1-t) exactly):")
    for scale in (0.9, 1.0, 1.1):
        norms = gradient_norms_through_time(scale * Q, np.zeros((T, H)), dh_last)
        print(f"  scale {scale}: " + ", ".join(f"t={t}: {norms[t]:.3g}" for t in (T - 1, T - 11, T - 26, 0)))
    print("tanh RNN, Wh ~ N(0, sigma^2 / H), inputs ~ N(0, 1), Wx ~ N(0, 1 / H):")
    x = rng.normal(size=(1, T, H))
    Wx = rng.normal(0, 1 / np.sqrt(H), (H, H))
    for sigma in (0.5, 1.0, 2.0, 4.0):
        Wh = rng.normal(0, sigma / np.sqrt(H), (H, H))
        hs, _ = rnn_forward(x, np.zeros((1, H)), Wx, Wh, np.zeros(H))
        norms = gradient_norms_through_time(Wh, hs[0], dh_last)
        print(f"  sigma {sigma}: " + ", ".join(f"t={t}: {norms[t]:.3g}" for t in (T - 1, T - 11, T - 26, 0))
              + f"; mean |h| {np.abs(hs).mean():.2f}")
    grads = [rng.normal(size=(H, H)) * 100, rng.normal(size=H)]
    clipped, total = clip_by_global_norm(grads, 5.0)
    print(f"clip_by_global_norm: total norm {total:.1f} -> "
          f"{np.sqrt(sum(np.sum(g ** 2) for g in clipped)):.2f}, direction kept")


if __name__ == "__main__":
    demo()
