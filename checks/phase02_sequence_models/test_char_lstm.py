"""Checks for phase02_sequence_models/char_lstm.py: the LSTM language model, temperature sampling, generation."""
import numpy as np

from checks.helpers import assert_close, expect
from checks.phase02_sequence_models.gradcheck import numerical


def tiny(impl, rng, V=5, H=3):
    params = impl.init_params(V, H, rng)
    return {k: v + rng.normal(0, 0.3, v.shape) for k, v in params.items()}


def test_loss_is_the_models_cross_entropy(impl, ref_tree, rng):
    params = tiny(impl, rng)
    X, Y = rng.integers(0, 5, (2, 4)), rng.integers(0, 5, (2, 4))
    loss, _ = impl.loss_and_grads(params, X, Y)
    lstm = ref_tree.load("phase02_sequence_models.lstm")
    hs, _, _ = lstm.lstm_forward(np.eye(5)[X], np.zeros((2, 3)), params["Wx"], params["Wh"], params["b"])
    logits = hs @ params["Wy"] + params["by"]
    logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    expected = -np.mean(np.take_along_axis(logp, Y[..., None], axis=-1))
    assert_close(loss, expected, "loss_and_grads(params, X, Y)[0]",
                 mistake="the mean over all N * T positions of -log softmax(h_t Wy + by)[Y_t], from a zero state")


def test_gradients_match_numerical(impl, ref_tree, rng):
    params = tiny(impl, rng)
    X, Y = rng.integers(0, 5, (2, 4)), rng.integers(0, 5, (2, 4))
    _, grads = impl.loss_and_grads(params, X, Y)
    for key in ("Wx", "Wh", "b", "Wy", "by"):
        def f(v, key=key):
            return impl.loss_and_grads(dict(params, **{key: v}), X, Y)[0]
        assert_close(grads[key], numerical(ref_tree, f, params[key]), f"grads['{key}'] from loss_and_grads",
                     rtol=1e-5, atol=1e-8, mistake="dhs = (dlogits @ Wy.T) reshaped to (N, T, H), then lstm_backward")


def test_temperature(impl, rng):
    logits = rng.normal(size=6)
    expect(impl.sample_next(logits, 0, rng) == int(np.argmax(logits)), "sample_next(logits, 0, rng) must be the argmax")
    for temperature in (0.5, 2.0):
        draws = np.array([impl.sample_next(logits, temperature, rng) for _ in range(4000)])
        p = np.exp(logits / temperature) / np.exp(logits / temperature).sum()
        freq = np.bincount(draws, minlength=6) / len(draws)
        # 6 standard errors of a frequency over 4000 draws
        expect(np.all(np.abs(freq - p) < 6 * np.sqrt(p * (1 - p) / 4000) + 1e-3),
               f"sample_next(logits, {temperature}) frequencies {np.round(freq, 3)} differ from softmax(logits / T) = "
               f"{np.round(p, 3)}", mistake="divide the logits BY the temperature before the softmax")


def test_temperature_with_large_logits(impl, rng):
    """Logits in the thousands: softmax(logits / T) must not overflow (two tokens share the mass)."""
    logits = np.array([1000.0, 999.0, -500.0, 0.0])
    p = np.exp(logits - logits.max())
    p /= p.sum()
    draws = np.array([impl.sample_next(logits, 1.0, rng) for _ in range(3000)])
    freq = np.bincount(draws, minlength=4) / len(draws)
    expect(np.all(np.abs(freq - p) < 6 * np.sqrt(p * (1 - p) / 3000) + 1e-3),
           f"sample_next([1000, 999, -500, 0], 1.0) frequencies {np.round(freq, 3)} differ from {np.round(p, 3)}",
           mistake="subtract the largest logit before exp: exp(1000) overflows to inf, and inf / inf is NaN")


def test_generate_matches_reference_when_sampling(impl, ref, seed):
    """At temperatures 0.5 and 2 with a one-id prefix, the same rng gives the reference's ids: the temperature is
    used for every step, and sampling starts from the state after the whole prefix. (Over 40 ids at each of the two
    temperatures, a sampler stuck at temperature 1 matched the reference on none of 1,000 seeds.)"""
    params = tiny(ref, np.random.default_rng(seed), V=6, H=4)
    for temperature in (0.5, 2.0):
        got = impl.generate(params, [3], 40, temperature, np.random.default_rng(seed))
        expected = ref.generate(params, [3], 40, temperature, np.random.default_rng(seed))
        assert_close(np.array(got), np.array(expected), f"generate(params, [3], 40, temperature={temperature}, rng) "
                     "against the reference with an identically seeded rng", mistake="sample each new id with "
                     "sample_next(logits, temperature, rng), one draw per id, from the state after the whole prefix")


def counting_model(V):
    """An LSTM built by hand whose greedy next character is always (input + 1) mod V.

    H = V; gates i, o wide open and f shut, so c = tanh(5 onehot(x)) and h is about 0.76 onehot(x);
    Wy maps unit k to logit (k + 1) mod V.
    """
    H = V
    Wx = np.zeros((V, 4 * H))
    Wx[:, 3 * H:] = 5 * np.eye(V)
    b = np.concatenate([np.full(H, 10.0), np.full(H, -10.0), np.full(H, 10.0), np.zeros(H)])
    Wy = 10 * np.roll(np.eye(V), 1, axis=1)
    return {"Wx": Wx, "Wh": np.zeros((H, 4 * H)), "b": b, "Wy": Wy, "by": np.zeros(V)}


def test_generate_feeds_back(impl, rng):
    V = 7
    start = int(rng.integers(0, V))
    out = impl.generate(counting_model(V), [int(rng.integers(0, V)), start], 9, 0, rng)
    expected = [(start + k) % V for k in range(1, 10)]
    assert_close(np.array(out), np.array(expected), f"generate(counting model, [.., {start}], 9, temperature=0)",
                 mistake="feed the whole prefix first, then feed each sampled id back as the next input; "
                         "return only the new ids")


def test_learns_shakespeare(impl, rng):
    from data.shakespeare import train_val_text
    train_text, val_text = train_val_text()
    vocab = sorted(set(train_text) | set(val_text))
    stoi = {c: i for i, c in enumerate(vocab)}
    start = int(rng.integers(0, len(train_text) - 50_000))
    ids = np.array([stoi[c] for c in train_text[start:start + 50_000]])
    val_ids = np.array([stoi[c] for c in val_text[:2_000]])
    params = impl.init_params(len(vocab), 32, rng)
    impl.train(params, ids, 100, rng, batch=16, T=24, lr=2e-2)
    val = impl.evaluate(params, val_ids, T=64)
    counts = np.bincount(ids, minlength=len(vocab)) + 1.0
    unigram = float(-np.log(counts / counts.sum())[val_ids].mean())
    expect(val < unigram - 0.25, f"after 100 steps the validation loss is {val:.3f} nats/char, the unigram "
                                 f"baseline {unigram:.3f}; expected at least 0.25 below it")
