"""Checks for phase05_transformer/transformer.py: embeddings, padding masks, the encoder-decoder forward and its
backward, gradient-checked end to end on a small model."""
import numpy as np

from checks.helpers import assert_close, expect
from checks.phase02_sequence_models.gradcheck import numerical

PAD = 5


def small(impl, rng, norm="pre", approximate="none", d_model=4, n_layer=1, pad_id=PAD, vocab=6):
    config = impl.TransformerConfig(src_vocab=vocab, tgt_vocab=vocab, d_model=d_model, n_head=2, d_ff=2 * d_model,
                                    n_layer=n_layer, norm=norm, approximate=approximate, pad_id=pad_id)
    params = impl.init_params(config, rng)
    return config, {k: v + rng.normal(scale=0.4, size=v.shape) for k, v in params.items()}   # away from the init


def test_padding_mask(impl):
    tokens = np.array([[1, 2, PAD, PAD], [3, PAD, 4, 0]])
    mask = impl.padding_mask(tokens, PAD)
    expected = np.array([[True, True, False, False], [True, False, True, True]])[:, None, None, :]
    assert_close(mask, expected, "padding_mask(tokens (2, 4), pad_id)",
                 mistake="True where the token is NOT padding, shaped (B, 1, 1, T) to broadcast as a key mask")
    expect(impl.padding_mask(tokens, None) is None, "padding_mask(tokens, None) should be None (nothing is padding)")


def test_embedding_scaled_plus_positions(impl, ref_tree, rng):
    pe = ref_tree.load("phase05_transformer.layers").sinusoidal_positional_encoding
    E, tokens = rng.normal(size=(7, 6)), np.array([[1, 1, 4], [0, 6, 1]])
    assert_close(impl.embed_forward(tokens, E), np.sqrt(6) * E[tokens] + pe(3, 6), "embed_forward(tokens, E)",
                 rtol=1e-12, atol=1e-12, mistake="sqrt(C) E[tokens] + PE(T, C): scale the embedding, not the positions")
    dx = rng.normal(size=(2, 3, 6))
    expected = np.zeros_like(E)
    for b in range(2):
        for t in range(3):
            expected[tokens[b, t]] += np.sqrt(6) * dx[b, t]
    assert_close(impl.embed_backward(dx, tokens, E), expected, "embed_backward(dx, tokens, E) with token 1 three times",
                 rtol=1e-12, atol=1e-12, mistake="repeated tokens add up: np.add.at(dE, tokens, ...), not dE[tokens] += ...")


def test_forward_matches_reference(impl, ref, rng):
    for norm in ("pre", "post"):
        config, p = small(impl, rng, norm, d_model=8, n_layer=2)
        src = np.array([[0, 1, 2, 3, 4], [4, 3, PAD, PAD, PAD]])
        tgt_in = np.array([[1, 2, 0, 4], [2, 0, PAD, PAD]])
        logits, _ = impl.transformer_forward(p, src, tgt_in, config)
        expect(np.shape(logits) == (2, 4, 6), f"transformer_forward logits have shape {np.shape(logits)}, expected (2, 4, 6)")
        assert_close(logits, ref.transformer_forward(p, src, tgt_in, config)[0],
                     f"transformer_forward(params, src, tgt_in, config) ({norm}-norm, 2 layers, padded rows)",
                     rtol=1e-8, atol=1e-10,
                     mistake="encoder once, each decoder layer reading the final memory; final layer norms only for pre-norm")


def test_padding_changes_nothing(impl, rng):
    """Padding appended to the source, and to the target, leaves every real position's logits as they were."""
    config, p = small(impl, rng, d_model=8, n_layer=2)
    src, tgt_in = np.array([[0, 1, 2], [4, 3, 1]]), np.array([[1, 2, 0], [2, 0, 3]])
    logits, _ = impl.transformer_forward(p, src, tgt_in, config)
    padded_src = np.concatenate([src, np.full((2, 3), PAD)], axis=1)
    assert_close(impl.transformer_forward(p, padded_src, tgt_in, config)[0], logits,
                 "logits after appending 3 PAD tokens to every source", rtol=1e-9, atol=1e-12,
                 mistake="mask the source's padding in the encoder's self-attention AND in the decoder's cross-attention")
    padded_tgt = np.concatenate([tgt_in, np.full((2, 2), PAD)], axis=1)
    assert_close(impl.transformer_forward(p, src, padded_tgt, config)[0][:, :3], logits,
                 "logits of the first 3 target positions after appending 2 PAD tokens to tgt_in", rtol=1e-9, atol=1e-12)


def test_loss_counts_only_real_targets(impl, ref, rng):
    config, p = small(impl, rng)
    src = np.array([[0, 1, 2], [3, PAD, PAD]])
    tgt_in, tgt_out = np.array([[1, 2, 0], [2, PAD, PAD]]), np.array([[2, 0, 4], [3, PAD, PAD]])
    loss, _ = impl.loss_and_grads(p, src, tgt_in, tgt_out, config)
    logits, _ = ref.transformer_forward(p, src, tgt_in, config)
    logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    counted = [(0, 0), (0, 1), (0, 2), (1, 0)]
    expected = -np.mean([logp[b, t, tgt_out[b, t]] for b, t in counted])
    assert_close(loss, expected, "loss_and_grads(...)[0] with 2 of 6 targets PAD", rtol=1e-9,
                 mistake="the mean over the targets that are not PAD only (4 here), not over all B T positions")


def test_end_to_end_gradients_match_numerical(impl, ref, ref_tree, rng):
    src = np.array([[0, 1, 2, 3], [4, 2, PAD, PAD]])
    tgt_in, tgt_out = np.array([[1, 3, 0], [2, 0, PAD]]), np.array([[3, 0, 2], [0, 1, PAD]])
    counted = tgt_out != PAD

    def loss(params, config):
        """The reference's forward and a cross-entropy written out here: no backward in the finite differences."""
        logits, _ = ref.transformer_forward(params, src, tgt_in, config)
        logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        return -np.take_along_axis(logp, tgt_out[..., None], axis=-1)[..., 0][counted].mean()

    for norm, approximate in (("pre", "none"), ("post", "tanh")):
        config, p = small(impl, rng, norm, approximate)
        _, grads = impl.loss_and_grads(p, src, tgt_in, tgt_out, config)
        expect(set(grads) == set(p), f"loss_and_grads returned gradients for {sorted(set(grads) ^ set(p))[:4]} "
               "that are not, or not all, parameters; expected exactly the keys of params")
        for name in p:
            expected = numerical(ref_tree, lambda w: loss({**p, name: w}, config), p[name])
            assert_close(grads[name], expected, f"grads['{name}'] from loss_and_grads ({norm}-norm)", rtol=1e-4, atol=1e-8,
                         mistake="the encoder's gradient arrives through every decoder layer's cross-attention: "
                                 "dmemory is their sum")


def test_gradients_match_reference(impl, ref, rng):
    config, p = small(impl, rng, "pre", d_model=8, n_layer=2)
    src = np.array([[0, 1, 2, 3, 4], [4, 3, 1, PAD, PAD]])
    tgt_in, tgt_out = np.array([[1, 2, 0, 4], [2, 0, 3, PAD]]), np.array([[2, 0, 4, 1], [0, 3, PAD, PAD]])
    loss, grads = impl.loss_and_grads(p, src, tgt_in, tgt_out, config)
    ref_loss, ref_grads = ref.loss_and_grads(p, src, tgt_in, tgt_out, config)
    assert_close(loss, ref_loss, "loss_and_grads(params, src, tgt_in, tgt_out, config)[0]", rtol=1e-9)
    for name in ref_grads:
        assert_close(grads.get(name), ref_grads[name], f"grads['{name}']", rtol=1e-6, atol=1e-10)


def test_logits_in_the_thousands_and_a_batch_of_one(impl, ref, rng):
    """W_out 1000 times its size (logits in the thousands), against the reference's loss and gradients: a padded
    batch (pre-norm), and one source token, one target token, no pad_id (post-norm, tanh GELU)."""
    cases = (("pre", "none", PAD, np.array([[0, 1, 2], [3, PAD, PAD]]), np.array([[1, 2, 0], [2, PAD, PAD]]),
              np.array([[2, 0, 4], [3, PAD, PAD]])),
             ("post", "tanh", None, np.array([[4]]), np.array([[1]]), np.array([[3]])))
    for norm, approximate, pad_id, src, tgt_in, tgt_out in cases:
        config, p = small(impl, rng, norm, approximate, pad_id=pad_id)
        p["W_out"] = 1000.0 * p["W_out"]
        loss, grads = impl.loss_and_grads(p, src, tgt_in, tgt_out, config)
        ref_loss, ref_grads = ref.loss_and_grads(p, src, tgt_in, tgt_out, config)
        label = f"({norm}-norm, src {src.shape}, tgt {tgt_in.shape}, pad_id {pad_id}) with logits in the thousands"
        assert_close(loss, ref_loss, f"loss_and_grads(...)[0] {label}", rtol=1e-8,
                     mistake="log(sum(exp(logits))) overflows for logits in the thousands: use phase 0's log_softmax "
                             "(it subtracts the max)")
        for name in ref_grads:
            assert_close(grads.get(name), ref_grads[name], f"grads['{name}'] {label}", rtol=1e-6, atol=1e-8)
