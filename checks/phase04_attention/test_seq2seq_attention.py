"""Checks for phase04_attention/seq2seq_attention.py: Luong attention forward/backward, the model's gradients,
greedy decoding, and training on reversal."""
import numpy as np

from checks.helpers import assert_close, expect


def test_attention_forward_known_values(impl, rng):
    S, H, W_a = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(4, 4))
    C, A = impl.attention_forward(S, H, W_a)
    scores = np.array([[[S[b, t] @ W_a @ H[b, j] for j in range(5)] for t in range(3)] for b in range(2)])
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    expected_A = e / e.sum(axis=-1, keepdims=True)
    assert_close(A, expected_A, "weights A of attention_forward(S (2, 3, 4), H (2, 5, 4), W_a)",
                 mistake="score_tj = s_t W_a h_j; softmax over the ENCODER positions j (the last axis)")
    assert_close(C, expected_A @ H, "contexts C of attention_forward(S, H, W_a)", mistake="C = A H")


def test_attention_backward_matches_numerical_gradient(impl, ref_tree, rng):
    numerical_gradient = ref_tree.load("phase00_math.calculus").numerical_gradient
    S, H, W_a = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(4, 4))
    dC = rng.normal(size=(2, 3, 4))
    _, A = impl.attention_forward(S, H, W_a)
    dS, dH, dW_a = impl.attention_backward(dC, S, H, W_a, A)
    loss = lambda s, h, w: float(np.sum(impl.attention_forward(s, h, w)[0] * dC))  # noqa: E731
    assert_close(dS, numerical_gradient(lambda x: loss(x, H, W_a), S.copy()), "dS from attention_backward", rtol=1e-5, atol=1e-8)
    assert_close(dH, numerical_gradient(lambda x: loss(S, x, W_a), H.copy()), "dH from attention_backward", rtol=1e-5, atol=1e-8,
                 mistake="H is both the keys and the values: add the gradient through the scores to A^T dC")
    assert_close(dW_a, numerical_gradient(lambda x: loss(S, H, x), W_a.copy()), "dW_a from attention_backward", rtol=1e-5, atol=1e-8)


def test_large_scores_and_logits(impl, ref, rng):
    """Attention scores and output logits in the thousands: neither softmax may overflow, nor log(0) appear."""
    S, H, W_a = 30 * rng.normal(size=(2, 3, 4)), 30 * rng.normal(size=(2, 5, 4)), rng.normal(size=(4, 4))
    for got, expected, name in zip(impl.attention_forward(S, H, W_a), ref.attention_forward(S, H, W_a), ("C", "A")):
        assert_close(got, expected, f"{name} of attention_forward with scores in the thousands", rtol=1e-7, atol=1e-12,
                     mistake="exp(1000) overflows: subtract each row's max score before exp (phase 0's softmax does)")
    params = ref.init_params(4, rng)
    params["W_y"] = params["W_y"] * 2000.0
    src, tgt_in, tgt_out = ref.reversal_batch(3, 4, rng)
    loss, grads = impl.loss_and_grads(params, src, tgt_in, tgt_out)
    ref_loss, ref_grads = ref.loss_and_grads(params, src, tgt_in, tgt_out)
    assert_close(loss, ref_loss, "loss_and_grads with output logits in the thousands", rtol=1e-7,
                 mistake="log(softmax(logits)) is log(0) = -inf for a far-off logit: use log_softmax")
    assert_close(grads["W_y"], ref_grads["W_y"], "grads['W_y'] with output logits in the thousands", rtol=1e-6, atol=1e-9)


def test_loss_is_log_10_for_zero_output_layer(impl, rng):
    params = impl.init_params(5, rng)
    params["W_y"][:] = 0.0
    src, tgt_in, tgt_out = impl.reversal_batch(4, 5, rng)
    loss, _ = impl.loss_and_grads(params, src, tgt_in, tgt_out)
    assert_close(loss, np.log(10.0), "loss_and_grads with W_y = 0, b_y = 0 over the 10 digits (uniform: ln 10)",
                 mistake="the loss is the mean cross-entropy over every (sequence, step)")


def test_model_gradients_match_numerical_gradient(impl, ref_tree, rng):
    numerical_gradient = ref_tree.load("phase00_math.calculus").numerical_gradient
    params = impl.init_params(3, rng)
    src, tgt_in, tgt_out = impl.reversal_batch(2, 4, rng)
    loss, grads = impl.loss_and_grads(params, src, tgt_in, tgt_out)
    for name in params:
        expected = numerical_gradient(lambda w: impl.loss_and_grads({**params, name: w}, src, tgt_in, tgt_out)[0],
                                      params[name].copy())
        expect(name in grads, f"loss_and_grads returned no gradient for '{name}'")
        assert_close(grads[name], expected, f"grads['{name}'] from loss_and_grads against central differences",
                     rtol=1e-4, atol=1e-8,
                     mistake="the decoder's first state is the encoder state h_1: its gradient flows back into H[:, 0]")


def test_greedy_decode_matches_reference(impl, ref, rng):
    params = ref.init_params(8, rng)
    src, _, _ = ref.reversal_batch(6, 7, rng)
    got = impl.greedy_decode(params, src)
    assert_close(got, ref.greedy_decode(params, src), "greedy_decode(params, src (6, 7))",
                 mistake="feed each step's argmax back in as the next input, starting from BOS = 10")


def test_training_learns_reversal(impl, rng):
    params, losses = impl.train(hidden=32, lengths=range(3, 7), steps=300, rng=rng)
    token, _ = impl.accuracy(params, 6, rng, n=300)
    expect(np.mean(losses[-20:]) < 0.5 * np.mean(losses[:20]),
           f"the training loss fell only from {np.mean(losses[:20]):.3f} to {np.mean(losses[-20:]):.3f}")
    expect(token > 0.8, f"after 300 steps, greedy decoding reverses {token:.0%} of tokens at length 6 "
           "(the reference reaches about 97%; chance is 10%)")


def compare_inputs(rng):
    S, H, W_a = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(4, 4))
    return [("attention_forward(S, H, W_a)", "attention_forward", (S, H, W_a), {})]
