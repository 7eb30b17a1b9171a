"""Checks for phase01_neural_networks/perceptron.py: Rosenblatt's learning rule, separable data and XOR."""
import numpy as np

from checks.helpers import assert_close, expect


def separable(rng, n=60, d=3, margin=0.2):
    """Points on either side of a random hyperplane, none closer than `margin` to it."""
    w_true, b_true = rng.normal(size=d), rng.normal() * 0.5
    X = rng.normal(size=(4 * n, d))
    score = (X @ w_true + b_true) / np.linalg.norm(w_true)
    keep = np.abs(score) > margin
    return X[keep][:n], np.where(score[keep][:n] > 0, 1, -1)


XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([-1, 1, 1, -1])


def test_predict_known_values(impl):
    X = np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0], [0.5, 1.0]])
    got = impl.perceptron_predict(X, np.array([1.0, -1.0]), 0.5)
    # scores 1.5, -1.5, 0.5, 0.0 -> +1, -1, +1, -1 (a score of exactly 0 is not above the threshold)
    assert_close(got, np.array([1, -1, 1, -1]), "perceptron_predict(X, w=[1, -1], b=0.5)")


def test_update_only_on_mistakes(impl, rng):
    x, w = rng.normal(size=3), rng.normal(size=3)
    b = float(rng.normal())
    y = 1 if x @ w + b < 0 else -1                     # a mistake
    w2, b2 = impl.perceptron_update(x, y, w.copy(), b, lr=0.5)
    assert_close(w2, w + 0.5 * y * x, "w after perceptron_update on a misclassified x (lr=0.5)",
                 mistake="the rule is w <- w + lr * y * x (towards the true label)")
    assert_close(b2, b + 0.5 * y, "b after perceptron_update on a misclassified x (lr=0.5)")
    w3, b3 = impl.perceptron_update(x, -y, w.copy(), b, lr=0.5)  # correctly classified
    assert_close(w3, w, "w after perceptron_update on a correctly classified x",
                 mistake="a correctly classified example must not change the weights")
    assert_close(b3, b, "b after perceptron_update on a correctly classified x")
    w4, b4 = impl.perceptron_update(x, 1, np.zeros(3), 0.0)
    assert_close(w4, x, "perceptron_update(x, +1, w=0, b=0): a score of 0 counts as a mistake",
                 mistake="use y (w.x + b) <= 0, not < 0: from w = 0 nothing would ever be learned")


def test_converges_on_separable_data(impl, ref, rng):
    X, y = separable(rng)
    w, b, mistakes = impl.perceptron_train(X, y, epochs=1000)
    expect(len(mistakes) > 0 and mistakes[-1] == 0,
           f"perceptron_train on linearly separable data (margin 0.2) still made {mistakes[-1] if mistakes else '?'} "
           f"mistakes in its last epoch of {len(mistakes)}; the convergence theorem promises 0")
    assert_close(impl.perceptron_predict(X, w, b), y, "perceptron_predict(X, *perceptron_train(X, y)[:2]) on separable data")
    w_ref, b_ref, mistakes_ref = ref.perceptron_train(X, y, epochs=1000)
    assert_close(np.array(mistakes), np.array(mistakes_ref), "mistakes per epoch of perceptron_train(X, y)",
                 mistake="start from zeros, visit the examples in order, stop after the first epoch without mistakes")
    assert_close(w, w_ref, "w from perceptron_train(X, y)")


def test_learning_rate_is_used(impl, ref, rng):
    """lr = 0.5 instead of the default: from w = 0 every weight is lr times that of lr = 1."""
    X, y = separable(rng, n=30)
    w, b, mistakes = impl.perceptron_train(X, y, epochs=1000, lr=0.5)
    w_ref, b_ref, mistakes_ref = ref.perceptron_train(X, y, epochs=1000, lr=0.5)
    assert_close(np.array(mistakes), np.array(mistakes_ref), "mistakes per epoch of perceptron_train(X, y, lr=0.5)")
    assert_close(w, w_ref, "w from perceptron_train(X, y, lr=0.5)", mistake="pass lr on to perceptron_update")
    assert_close(b, b_ref, "b from perceptron_train(X, y, lr=0.5)", mistake="pass lr on to perceptron_update")


def test_cannot_fit_xor(impl):
    w, b, mistakes = impl.perceptron_train(XOR_X, XOR_Y, epochs=50)
    expect(len(mistakes) == 50 and min(mistakes) > 0,
           f"perceptron_train on XOR reported an epoch without mistakes (mistakes {mistakes}); no line separates XOR")
    accuracy = np.mean(impl.perceptron_predict(XOR_X, w, b) == XOR_Y)
    expect(accuracy <= 0.75, f"a linear classifier got {accuracy:.0%} on XOR; at most 3 of its 4 points can be right")


def compare_inputs(rng):
    X, y = separable(rng, n=20, d=2)
    return [("perceptron_predict(X, w, b)", "perceptron_predict", (X, np.array([1.0, -2.0]), 0.3), {}),
            ("perceptron_train(X, y)", "perceptron_train", (X, y), {})]
