"""Checks for phase05_transformer/char_transformer.py: the decoder-only model's forward, gradients, generation."""
import numpy as np

from checks.helpers import assert_close, expect
from checks.phase02_sequence_models.gradcheck import numerical


def tiny(impl, rng, **changes):
    config = impl.CharConfig(**{"vocab_size": 7, "d_model": 4, "n_head": 2, "d_ff": 8, "n_layer": 1, **changes})
    params = impl.init_params(config, rng)
    return config, {k: v + rng.normal(scale=0.4, size=v.shape) for k, v in params.items()}


def test_forward_matches_reference(impl, ref, rng):
    config, p = tiny(impl, rng, d_model=8, n_layer=2, approximate="none")
    X = rng.integers(0, 7, (3, 6))
    logits, _ = impl.forward(p, X, config)
    expect(np.shape(logits) == (3, 6, 7), f"forward(params, X (3, 6), config) has shape {np.shape(logits)}, expected (3, 6, 7)")
    assert_close(logits, ref.forward(p, X, config)[0], "forward(params, X, config), 2 layers", rtol=1e-8, atol=1e-10,
                 mistake="sqrt(C) embed[X] + PE, pre-norm encoder layers with the causal mask, ln_f, then W_out, b_out")


def test_forward_is_causal(impl, rng):
    config, p = tiny(impl, rng, d_model=8, n_layer=2)
    X = rng.integers(0, 7, (2, 8))
    logits, _ = impl.forward(p, X, config)
    changed = X.copy()
    changed[:, 5:] = (X[:, 5:] + 1) % 7
    assert_close(impl.forward(p, changed, config)[0][:, :5], logits[:, :5],
                 "logits at positions 0..4 after changing the characters at 5..7",
                 mistake="every layer's self-attention needs causal_mask(T): position t may read 0..t only")


def test_gradients_match_numerical(impl, ref, ref_tree, rng):
    config, p = tiny(impl, rng)
    X, Y = rng.integers(0, 7, (2, 5)), rng.integers(0, 7, (2, 5))
    loss, grads = impl.loss_and_grads(p, X, Y, config)

    def reference_loss(params):
        logits, _ = ref.forward(params, X, config)
        logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        return -np.take_along_axis(logp, Y[..., None], axis=-1).mean()

    assert_close(loss, reference_loss(p), "loss_and_grads(params, X, Y, config)[0]", rtol=1e-9,
                 mistake="the mean cross-entropy over all N T positions")
    for name in p:
        assert_close(grads.get(name), numerical(ref_tree, lambda w: reference_loss({**p, name: w}), p[name]),
                     f"grads['{name}'] from loss_and_grads", rtol=1e-4, atol=1e-8,
                     mistake="backward: W_out, ln_f, the layers in reverse, then the embedding (np.add.at, times sqrt(C))")


def test_generate_greedy_is_the_argmax(impl, ref, rng):
    config, p = tiny(impl, rng, block_size=4)
    prefix = [1, 2, 3, 4, 5, 6]
    got = impl.generate(p, prefix, 5, config, 0.0, rng)
    expect(len(got) == 5, f"generate(params, prefix, 5, ...) returned {len(got)} ids, expected 5 (the prefix excluded)")
    ids = list(prefix)
    for _ in range(5):
        logits, _ = ref.forward(p, np.array([ids[-4:]]), config)
        ids.append(int(np.argmax(logits[0, -1])))
    expect(list(map(int, got)) == ids[6:], f"generate(..., temperature=0) gave {list(map(int, got))}, expected {ids[6:]}",
           mistake="feed only the last block_size ids; take the argmax of the LAST position's logits")


def test_generate_samples_like_reference(impl, ref, rng):
    config, p = tiny(impl, rng, block_size=6)
    seed = int(rng.integers(2 ** 31))
    got = impl.generate(p, [3], 10, config, 1.0, np.random.default_rng(seed))
    expected = ref.generate(p, [3], 10, config, 1.0, np.random.default_rng(seed))
    expect(list(map(int, got)) == list(map(int, expected)), f"generate(params, [3], 10, config, 1.0, rng) gave "
           f"{list(map(int, got))}, expected {list(map(int, expected))} with the same rng",
           mistake="draw each id with phase 2's sample_next(logits[0, -1], temperature, rng), one call per new id")


def test_short_training_matches_reference(impl, ref, rng):
    """train is given: 20 steps on a small random text follow the reference's losses."""
    config = impl.CharConfig(vocab_size=7, d_model=8, n_head=2, d_ff=16, n_layer=1)
    ids = rng.integers(0, 7, 2000)
    seed = int(rng.integers(2 ** 31))
    params, ref_params = ref.init_params(config, np.random.default_rng(seed)), ref.init_params(config, np.random.default_rng(seed))
    losses = impl.train(params, ids, config, 20, np.random.default_rng(seed), batch=4, T=16, warmup=5)
    ref_losses = ref.train(ref_params, ids, config, 20, np.random.default_rng(seed), batch=4, T=16, warmup=5)
    assert_close(np.array(losses), np.array(ref_losses), "losses of 20 training steps on a tiny model", rtol=1e-6,
                 mistake="train uses your loss_and_grads: compare it with the reference first")


def test_loss_with_logits_in_the_thousands(impl, ref, rng):
    config, p = tiny(impl, rng)
    p["W_out"] = 1000.0 * p["W_out"]
    X, Y = rng.integers(0, 7, (2, 5)), rng.integers(0, 7, (2, 5))
    loss, grads = impl.loss_and_grads(p, X, Y, config)
    ref_loss, ref_grads = ref.loss_and_grads(p, X, Y, config)
    assert_close(loss, ref_loss, "loss_and_grads(params, X, Y, config)[0] with logits in the thousands", rtol=1e-8,
                 mistake="exp(1000) overflows: phase 1's softmax_cross_entropy subtracts each row's max")
    for name in ref_grads:
        assert_close(grads.get(name), ref_grads[name], f"grads['{name}'] with logits in the thousands", rtol=1e-6,
                     atol=1e-8)


def test_generate_samples_like_reference_at_other_temperatures(impl, ref, rng):
    """Temperatures 0.5 and 2 over 30 ids: a temperature applied twice (or not at all) draws other ids."""
    config, p = tiny(impl, rng, block_size=6)
    for temperature in (0.5, 2.0):
        seed = int(rng.integers(2 ** 31))
        got = impl.generate(p, [3, 1], 30, config, temperature, np.random.default_rng(seed))
        expected = ref.generate(p, [3, 1], 30, config, temperature, np.random.default_rng(seed))
        expect(list(map(int, got)) == list(map(int, expected)), f"generate(params, [3, 1], 30, config, {temperature}, "
               f"rng) gave {list(map(int, got))}, expected {list(map(int, expected))} with the same rng",
               mistake="pass the raw logits and the temperature to sample_next, which divides by it once")
