"""Checks for phase05_transformer/train_reversal.py: padded reversal batches, greedy decoding, a short training."""
import numpy as np

from checks.helpers import assert_close, expect

PAD, BOS = 11, 10


def tiny_config(impl, **changes):
    return impl.reversal_config(**{"d_model": 8, "n_head": 2, "d_ff": 16, "n_layer": 1, **changes})


def test_padded_batch_rows(impl, rng):
    src, tgt_in, tgt_out = impl.padded_reversal_batch(200, [2, 5, 3], rng)
    for name, a in (("src", src), ("tgt_in", tgt_in), ("tgt_out", tgt_out)):
        expect(np.shape(a) == (200, 5), f"padded_reversal_batch(200, [2, 5, 3], rng): {name} has shape {np.shape(a)}, "
               "expected (200, 5) (the longest length drawn)")
    lengths = (src != PAD).sum(axis=1)
    expect(set(lengths.tolist()) == {2, 3, 5}, f"row lengths {sorted(set(lengths.tolist()))}, expected each of 2, 3 and 5 "
           "among 200 rows", mistake="draw every row's length from `lengths`")
    for i in range(200):
        n = lengths[i]
        row = f"row {i} (length {n})"
        expect(np.all(src[i, :n] < 10) and np.all(src[i, n:] == PAD), f"{row}: src {src[i].tolist()} should be {n} digits "
               "then PAD", mistake="pad on the RIGHT, after the row's digits")
        expect(np.array_equal(tgt_out[i, :n], src[i, :n][::-1]) and np.all(tgt_out[i, n:] == PAD),
               f"{row}: tgt_out {tgt_out[i].tolist()} should be src's digits reversed, then PAD (src {src[i].tolist()})",
               mistake="reverse the row's own digits, not the padded row")
        expect(tgt_in[i, 0] == BOS and np.array_equal(tgt_in[i, 1:n], tgt_out[i, :n - 1]) and np.all(tgt_in[i, n:] == PAD),
               f"{row}: tgt_in {tgt_in[i].tolist()} should be [BOS, tgt_out[:{n - 1}]] then PAD (tgt_out {tgt_out[i].tolist()})")
    expect(len({tuple(r) for r in src.tolist()}) > 150, "the 200 rows are mostly equal; each row needs fresh random digits")


def test_greedy_decode_matches_reference(impl, ref, rng):
    config = tiny_config(impl)
    params = ref.init_params(config, rng, scale=0.5)
    src = rng.integers(0, 10, (6, 5))
    src[4, 3:] = PAD
    got = impl.greedy_decode(params, src, config)
    expect(np.shape(got) == (6, 5), f"greedy_decode(params, src (6, 5), config) has shape {np.shape(got)}, expected (6, 5) "
           "(one prediction per source position, BOS excluded)")
    assert_close(got, ref.greedy_decode(params, src, config), "greedy_decode(params, src, config) on random weights",
                 mistake="start from [BOS], append the argmax of the LAST position's logits, src's padding mask throughout")
    expect(np.shape(impl.greedy_decode(params, src, config, steps=3)) == (6, 3), "greedy_decode(..., steps=3) should "
           "return 3 predictions per row")


def test_greedy_decode_of_one_source(impl, ref, rng):
    """A batch of one: one source of 4 digits, then one of a single digit with one step."""
    config = tiny_config(impl)
    params = ref.init_params(config, rng, scale=0.5)
    for src, steps in ((rng.integers(0, 10, (1, 4)), None), (rng.integers(0, 10, (1, 1)), 1)):
        got = impl.greedy_decode(params, src, config, steps=steps)
        assert_close(got, ref.greedy_decode(params, src, config, steps=steps),
                     f"greedy_decode(params, src {src.shape}, config, steps={steps})",
                     mistake="keep the batch axis: argmax(logits[:, -1], axis=-1)[:, None], no squeeze()")


def test_greedy_decode_agrees_with_teacher_forcing(impl, ref_tree, rng):
    """Fed its own predictions as the teacher, the model's argmax at every position is those predictions."""
    transformer = ref_tree.load("phase05_transformer.transformer")
    config = tiny_config(impl)
    params = transformer.init_params(config, rng, scale=0.5)
    src = rng.integers(0, 10, (8, 6))
    for row, length in enumerate((1, 2, 3, 4)):
        src[row, length:] = PAD
    pred = np.asarray(impl.greedy_decode(params, src, config))
    tgt_in = np.concatenate([np.full((8, 1), BOS), pred[:, :-1]], axis=1)
    logits, _ = transformer.transformer_forward(params, src, tgt_in, config)
    assert_close(pred, logits.argmax(axis=-1), "greedy_decode's predictions against the argmax of teacher-forced logits "
                 "on [BOS, predictions], 4 of 8 sources padded",
                 mistake="feed back each step's argmax; decode the whole prefix every step, masking the source's padding")


def test_short_training_matches_reference(impl, ref, rng, monkeypatch):
    """train is given: with the reference's batches, 25 steps of your model follow the reference's losses."""
    monkeypatch.setattr(impl, "padded_reversal_batch", ref.padded_reversal_batch)
    config = tiny_config(impl)
    seed = int(rng.integers(2 ** 31))
    params, ref_params = ref.init_params(config, np.random.default_rng(seed)), ref.init_params(config, np.random.default_rng(seed))
    losses = impl.train(params, config, 25, np.random.default_rng(seed + 1), lengths=range(2, 6), batch=16, warmup=5, lr=3e-3)
    ref_losses = ref.train(ref_params, config, 25, np.random.default_rng(seed + 1), lengths=range(2, 6), batch=16, warmup=5,
                           lr=3e-3)
    assert_close(np.array(losses), np.array(ref_losses), "losses of 25 training steps on a tiny model", rtol=1e-6,
                 mistake="the training uses your transformer's loss_and_grads and phase 2's adam_step")
    expect(np.mean(losses[-5:]) < np.mean(losses[:5]), f"the loss did not fall in 25 steps: {np.round(losses, 3).tolist()}")
