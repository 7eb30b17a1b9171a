"""Checks for phase01_neural_networks/char_mlp.py: Bengio et al.'s MLP language model on characters."""
import numpy as np

from checks.helpers import assert_close, expect


def test_build_dataset_known_values(impl):
    X, Y = impl.build_dataset(np.array([5, 1, 4, 2, 3]), 2)
    assert_close(X, np.array([[5, 1], [1, 4], [4, 2]]), "build_dataset([5, 1, 4, 2, 3], 2)[0]")
    assert_close(Y, np.array([4, 2, 3]), "build_dataset([5, 1, 4, 2, 3], 2)[1]",
                 mistake="Y[i] is the id right AFTER the window X[i]")


def test_unigram_loss_known_value(impl):
    # add-one counts [3, 2, 1] over 6: val ids 0, 1 -> -(log 1/2 + log 1/3) / 2
    got = impl.unigram_loss(np.array([0, 0, 1]), np.array([0, 1]), 3)
    assert_close(got, -(np.log(0.5) + np.log(1 / 3)) / 2, "unigram_loss([0, 0, 1], [0, 1], vocab_size=3)",
                 mistake="add one to every count of the TRAINING ids (vocab_size entries), then average -log p over val")


def tiny_problem(impl, rng):
    params = impl.init_params(6, 3, 2, 5, rng)
    params = {k: v + rng.normal(0, 0.3, v.shape) for k, v in params.items()}
    X = rng.integers(0, 6, (8, 3))
    X[0] = [2, 2, 2]                                   # one id several times in one row
    return params, X, rng.integers(0, 6, 8)


def test_loss_matches_the_model(impl, rng):
    params, X, Y = tiny_problem(impl, rng)
    loss, _ = impl.loss_and_grads(params, X, Y)
    h = np.tanh(params["C"][X].reshape(len(X), -1) @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert_close(loss, -np.mean(np.log(p[np.arange(len(Y)), Y])), "loss_and_grads(params, X, Y)[0]",
                 mistake="the context embeddings are concatenated in order: C[X].reshape(N, block * d)")


def test_gradients_match_numerical(impl, ref_tree, rng):
    params, X, Y = tiny_problem(impl, rng)
    _, grads = impl.loss_and_grads(params, X, Y)
    num = ref_tree.load("phase00_math.calculus").numerical_gradient
    for key in ("C", "W1", "b1", "W2", "b2"):
        def f(value, key=key):
            return impl.loss_and_grads(dict(params, **{key: value}), X, Y)[0]
        assert_close(grads[key], num(f, params[key].copy(), eps=1e-6), f"grads['{key}'] from loss_and_grads",
                     rtol=1e-5, atol=1e-8,
                     mistake="an id used several times must collect every gradient in its row of C: np.add.at(dC, X, demb)"
                     if key == "C" else None)


def test_large_logits(impl, ref, rng):
    """An output layer scaled up until the logits reach the thousands: the loss must stay finite and exact."""
    params, X, Y = tiny_problem(impl, rng)
    params["W2"] = params["W2"] * 3000.0
    loss, grads = impl.loss_and_grads(params, X, Y)
    ref_loss, ref_grads = ref.loss_and_grads(params, X, Y)
    assert_close(loss, ref_loss, "loss_and_grads(params, X, Y)[0] with logits in the thousands", rtol=1e-9,
                 mistake="exp(1000) overflows: subtract each row's max logit before exp (log-softmax)")
    for key in ("W2", "C"):
        assert_close(grads[key], ref_grads[key], f"grads['{key}'] with logits in the thousands", rtol=1e-7, atol=1e-9)


def test_beats_unigram_on_the_corpus(impl, rng):
    from data.shakespeare import train_val_text
    train_text, val_text = train_val_text()
    vocab = sorted(set(train_text) | set(val_text))
    stoi = {c: i for i, c in enumerate(vocab)}
    start = int(rng.integers(0, len(train_text) - 200_000))
    train_ids = np.array([stoi[c] for c in train_text[start:start + 200_000]])
    val_ids = np.array([stoi[c] for c in val_text[:20_000]])
    X, Y = impl.build_dataset(train_ids, 4)
    Xv, Yv = impl.build_dataset(val_ids, 4)
    params = impl.init_params(len(vocab), 4, 8, 64, rng)
    impl.train(params, X, Y, steps=600, rng=rng, batch=64, lr=0.3)
    val = impl.evaluate(params, Xv, Yv)
    baseline = impl.unigram_loss(train_ids, val_ids, len(vocab))
    expect(val < baseline - 0.3, f"after 600 steps the validation loss is {val:.3f} nats/char against the unigram "
                                 f"baseline's {baseline:.3f}; expected at least 0.3 below it")


def compare_inputs(rng):
    ids = rng.integers(0, 10, 20)
    return [("build_dataset(ids, 3)", "build_dataset", (ids, 3), {}),
            ("unigram_loss(train_ids, val_ids, 10)", "unigram_loss", (ids, rng.integers(0, 10, 8), 10), {})]
