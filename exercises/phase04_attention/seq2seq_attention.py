"""Seq2seq with attention (Bahdanau et al. 2015; Luong et al. 2015's "general" score) on the reversal task.

Without attention the decoder sees the source only through the encoder's last state, one fixed-size vector,
and accuracy falls as sequences grow (phase 2). With attention, decoder step t looks back at every encoder
state and reads the one it needs: for reversal, the source position counted t from the end.

The data and its token layout are phase 2's (`reversal_batch`: digits 0..9, BOS = 10, one length per batch).
The model, for a source x_1..x_L and the reversed target y_1..y_L:
    encoder   h_j = tanh(E[x_j] Wx_e + h_{j+1} Wh_e + b_e), run right to left from h_{L+1} = 0   H (B, L, Hd)
    decoder   s_t = tanh(E[y_{t-1}] Wx_d + s_{t-1} Wh_d + b_d), y_0 = BOS, s_0 = h_1            S (B, L, Hd)
    attention a_t = softmax_j(s_t W_a h_j),  c_t = sum_j a_tj h_j                                C (B, L, Hd)
    output    logits_t = [s_t; c_t] W_y + b_y                                                    (B, L, 10)
The decoder reads the true previous token while training (teacher forcing) and its own guess when decoding.
"""
import numpy as np

from ..phase00_math.probability import log_softmax, softmax
from ..phase02_sequence_models.clipping import clip_by_global_norm
from ..phase02_sequence_models.optim import adam_step
from ..phase02_sequence_models.seq2seq import BOS, N_DIGITS, reversal_batch


def init_params(hidden: int, rng: np.random.Generator) -> dict:
    """Embeddings E_e, E_d (11, Hd) (rows 0..9 the digits, row 10 BOS), RNN weights scaled 1/sqrt(Hd), zero
    biases, output layer W_y (2 Hd, 10) over the digits."""
    V, H = N_DIGITS, hidden
    s = 1.0 / np.sqrt(H)
    return {"E_e": rng.normal(scale=0.5, size=(V + 1, H)), "Wx_e": rng.normal(scale=s, size=(H, H)),
            "Wh_e": rng.normal(scale=s, size=(H, H)), "b_e": np.zeros(H),
            "E_d": rng.normal(scale=0.5, size=(V + 1, H)), "Wx_d": rng.normal(scale=s, size=(H, H)),
            "Wh_d": rng.normal(scale=s, size=(H, H)), "b_d": np.zeros(H),
            "W_a": rng.normal(scale=s, size=(H, H)),
            "W_y": rng.normal(scale=s, size=(2 * H, V)), "b_y": np.zeros(V)}


def rnn_forward(x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray):
    """Given (phase 2's tanh RNN): x (B, T, D), h0 (B, H) -> (states (B, T, H), cache), left to right."""
    states, h = [], h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
        states.append(h)
    states = np.stack(states, axis=1)
    return states, (x, h0, Wx, Wh, states)


def rnn_backward(dstates: np.ndarray, cache):
    """Given (backpropagation through time): dstates (B, T, H) -> (dx, dh0, dWx, dWh, db)."""
    x, h0, Wx, Wh, states = cache
    dx, dWx, dWh = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh)
    db, dh = np.zeros(Wx.shape[1]), np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = states[:, t - 1] if t > 0 else h0
        dpre = (dstates[:, t] + dh) * (1.0 - states[:, t] ** 2)       # tanh' = 1 - tanh^2
        dx[:, t] = dpre @ Wx.T
        dWx += x[:, t].T @ dpre
        dWh += h_prev.T @ dpre
        db += dpre.sum(axis=0)
        dh = dpre @ Wh.T
    return dx, dh, dWx, dWh, db


def attention_forward(S: np.ndarray, H: np.ndarray, W_a: np.ndarray):
    """Luong "general" attention for every decoder step at once.

    S (B, Tq, Hd) decoder states, H (B, Tk, Hd) encoder states, W_a (Hd, Hd).
    Returns (C (B, Tq, Hd) contexts, A (B, Tq, Tk) weights): A = softmax over Tk of S W_a H^T, C = A H.
    """
    raise NotImplementedError("attention_forward is not written yet (exercise 'seq2seq_attention'; hints: make hint ex=seq2seq_attention)")


def attention_backward(dC: np.ndarray, S: np.ndarray, H: np.ndarray, W_a: np.ndarray, A: np.ndarray):
    """Gradients through `attention_forward`: dC (B, Tq, Hd) -> (dS, dH, dW_a).

    H enters twice, as the values (C = A H) and as the keys (scores = S W_a H^T): add both gradients.
    """
    raise NotImplementedError("attention_backward is not written yet (exercise 'seq2seq_attention'; hints: make hint ex=seq2seq_attention)")


def loss_and_grads(params: dict, src: np.ndarray, tgt_in: np.ndarray, tgt_out: np.ndarray):
    """Mean cross-entropy of the reversed targets under teacher forcing, and its gradient for every parameter.

    src, tgt_in, tgt_out (B, L) ints as `reversal_batch` makes them (tgt_in = BOS, then tgt_out shifted right).
    Returns (loss, grads) with grads[name] shaped like params[name].
    """
    V = params["W_y"].shape[1]
    p = params
    raise NotImplementedError("loss_and_grads is not written yet (exercise 'seq2seq_attention'; hints: make hint ex=seq2seq_attention)")


def greedy_decode(params: dict, src: np.ndarray) -> np.ndarray:
    """Decode without teacher forcing: feed back each step's argmax. src (B, L) -> predictions (B, L) ints."""
    p = params
    raise NotImplementedError("greedy_decode is not written yet (exercise 'seq2seq_attention'; hints: make hint ex=seq2seq_attention)")


def train(hidden: int = 64, lengths=range(4, 17), steps: int = 3000, batch_size: int = 64, lr: float = 3e-3,
          rng: np.random.Generator | None = None):
    """Given: Adam (phase 2's optim) on fresh reversal batches, each of one length drawn from `lengths`, gradients
    clipped to a global norm of 5. Returns (params, losses)."""
    rng = np.random.default_rng(0) if rng is None else rng
    params, state, losses = init_params(hidden, rng), {}, []
    for _ in range(steps):
        src, tgt_in, tgt_out = reversal_batch(batch_size, int(rng.choice(list(lengths))), rng)
        loss, grads = loss_and_grads(params, src, tgt_in, tgt_out)
        clipped, _ = clip_by_global_norm(list(grads.values()), 5.0)
        adam_step(params, dict(zip(grads, clipped)), state, lr)
        losses.append(loss)
    return params, losses


def accuracy(params: dict, length: int, rng: np.random.Generator, n: int = 500) -> tuple[float, float]:
    """Given: greedy decoding on n fresh sequences of `length`: (token accuracy, whole-sequence accuracy)."""
    src, _, tgt_out = reversal_batch(n, length, rng)
    correct = greedy_decode(params, src) == tgt_out
    return float(correct.mean()), float(correct.all(axis=1).mean())


def main(hidden: int = 64, steps: int = 3000, seed: int = 0) -> None:
    """Given: the measurement in notes/phase04_attention.md, made the way phase 2 measures its seq2seq."""
    import time

    rng = np.random.default_rng(seed)
    start = time.process_time()
    params, losses = train(hidden, range(4, 17), steps, rng=rng)
    print(f"hidden {hidden}, {steps} steps of batch 64, lengths 4..16 mixed, CPU {time.process_time() - start:.0f} s, "
          f"final loss {np.mean(losses[-200:]):.4f}")
    print("greedy decoding, 1000 strings per length: exact-match (token) accuracy")
    eval_rng = np.random.default_rng(seed + 1)
    for length in [*range(4, 17), 20, 24, 32]:
        token, sequence = accuracy(params, length, eval_rng, n=1000)
        print(f"  {length:2d}: {sequence:.3f} ({token:.3f})", flush=True)


if __name__ == "__main__":
    main()
