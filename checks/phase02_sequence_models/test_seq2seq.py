"""Checks for phase02_sequence_models/seq2seq.py: encoder-decoder, teacher forcing, greedy decoding."""
import numpy as np

from checks.helpers import assert_close, expect
from checks.phase02_sequence_models.gradcheck import numerical


def tiny(impl, rng, H=3):
    params = impl.init_params(H, rng)
    return {k: v + rng.normal(0, 0.3, v.shape) for k, v in params.items()}


def test_given_batch_layout(impl, rng):
    src, tgt_in, tgt_out = impl.reversal_batch(5, 4, rng)
    assert_close(tgt_out, src[:, ::-1], "reversal_batch: tgt_out")
    assert_close(tgt_in[:, 0], np.full(5, impl.BOS), "reversal_batch: tgt_in[:, 0]")
    # the learner's code must run on it too
    loss, _ = impl.loss_and_grads(impl.init_params(4, rng), src, tgt_in, tgt_out)
    assert_close(loss, np.log(10), "loss_and_grads of an untrained model (logits near 0)", rtol=0.05,
                 mistake="mean cross-entropy over 10 digit classes starts near ln 10 = 2.303")


def by_hand_loss(impl, ref_tree, params, src, tgt_in, tgt_out):
    lstm = ref_tree.load("phase02_sequence_models.lstm")
    N, H = len(src), params["enc_Wh"].shape[0]
    hs, c, _ = lstm.lstm_forward(np.eye(11)[src], np.zeros((N, H)), params["enc_Wx"], params["enc_Wh"], params["enc_b"])
    hd, _, _ = lstm.lstm_forward(np.eye(11)[tgt_in], hs[:, -1], params["dec_Wx"], params["dec_Wh"], params["dec_b"], c0=c)
    logits = hd @ params["Wy"] + params["by"]
    logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    return float(-np.mean(np.take_along_axis(logp, tgt_out[..., None], axis=-1)))


def test_loss_and_gradients(impl, ref_tree, rng):
    params = tiny(impl, rng)
    src, tgt_in, tgt_out = impl.reversal_batch(2, 3, rng)
    loss, grads = impl.loss_and_grads(params, src, tgt_in, tgt_out)
    assert_close(loss, by_hand_loss(impl, ref_tree, params, src, tgt_in, tgt_out), "loss_and_grads(...)[0]",
                 mistake="the decoder starts from the encoder's final h AND c, reads tgt_in, and is scored on tgt_out")
    for key in params:
        def f(v, key=key):
            return impl.loss_and_grads(dict(params, **{key: v}), src, tgt_in, tgt_out)[0]
        assert_close(grads[key], numerical(ref_tree, f, params[key]), f"grads['{key}'] from loss_and_grads",
                     rtol=1e-5, atol=1e-8,
                     mistake="the encoder's gradient enters only at its final state: pass the decoder's dh0, dc0 "
                             "as lstm_backward(zeros, caches_enc, dhT=dh0, dcT=dc0)" if key.startswith("enc") else None)


def test_greedy_decode_feeds_back_its_own_output(impl, ref_tree, rng):
    params = tiny(impl, rng, H=4)
    params["Wy"] *= 10
    src, _, _ = impl.reversal_batch(3, 4, rng)
    got = impl.greedy_decode(params, src)
    expect(np.shape(got) == (3, 4), f"greedy_decode(params, src) for src (3, 4) has shape {np.shape(got)}")
    # with the decoder's inputs set to its own previous outputs, the teacher-forced argmax must agree
    lstm = ref_tree.load("phase02_sequence_models.lstm")
    hs, c, _ = lstm.lstm_forward(np.eye(11)[src], np.zeros((3, 4)), params["enc_Wx"], params["enc_Wh"], params["enc_b"])
    tgt_in = np.concatenate([np.full((3, 1), 10), np.asarray(got)[:, :-1]], axis=1)
    hd, _, _ = lstm.lstm_forward(np.eye(11)[tgt_in], hs[:, -1], params["dec_Wx"], params["dec_Wh"], params["dec_b"], c0=c)
    assert_close(np.asarray(got), np.argmax(hd @ params["Wy"] + params["by"], axis=-1), "greedy_decode(params, src)",
                 mistake="start from BOS and the encoder's final (h, c); feed back each step's argmax")


def test_learns_to_reverse(impl, rng):
    params = impl.init_params(32, rng)
    impl.train(params, 300, [3], rng, lr=1e-2)
    src, _, tgt_out = impl.reversal_batch(500, 3, rng)
    accuracy = impl.exact_match(impl.greedy_decode(params, src), tgt_out)
    expect(accuracy >= 0.9, f"after 300 steps on length-3 strings the exact-match accuracy is {accuracy:.1%}; "
                            "expected at least 90%")
