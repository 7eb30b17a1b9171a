"""Checks for phase01_neural_networks/layers.py: vectorised layers, every backward gradient-checked."""
import numpy as np

from checks.helpers import assert_close, expect


def numgrad(ref_tree, f, x):
    return ref_tree.load("phase00_math.calculus").numerical_gradient(f, x.copy(), eps=1e-6)


def away_from_zero(rng, shape):
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < 0.05, 0.5, x)          # no kink of ReLU within eps


def test_linear_forward_and_backward(impl, ref_tree, rng):
    x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5)
    out, cache = impl.linear_forward(x, W, b)
    assert_close(out, x @ W + b, "linear_forward(x, W, b)[0] for x (4, 3), W (3, 5)")
    dout = rng.normal(size=(4, 5))
    dx, dW, db = impl.linear_backward(dout, cache)
    loss = lambda x_, W_, b_: float(np.sum((x_ @ W_ + b_) * dout))  # noqa: E731
    assert_close(dx, numgrad(ref_tree, lambda z: loss(z, W, b), x), "dx from linear_backward", rtol=1e-6, atol=1e-8,
                 mistake="dx = dout @ W.T")
    assert_close(dW, numgrad(ref_tree, lambda z: loss(x, z, b), W), "dW from linear_backward", rtol=1e-6, atol=1e-8,
                 mistake="dW = x.T @ dout")
    assert_close(db, numgrad(ref_tree, lambda z: loss(x, W, z), b), "db from linear_backward", rtol=1e-6, atol=1e-8,
                 mistake="db sums dout over the batch axis (axis 0)")


def test_relu_forward_and_backward(impl, ref_tree, rng):
    x = away_from_zero(rng, (5, 6))
    out, cache = impl.relu_forward(x)
    assert_close(out, np.where(x > 0, x, 0.0), "relu_forward(x)[0]")
    dout = rng.normal(size=x.shape)
    dx = impl.relu_backward(dout, cache)
    assert_close(dx, numgrad(ref_tree, lambda z: float(np.sum(np.maximum(0, z) * dout)), x),
                 "relu_backward(dout, cache) against central differences", rtol=1e-6, atol=1e-8,
                 mistake="no gradient may pass where the input was negative (or zero): dx = dout * (x > 0)")


def test_relu_backward_at_zero(impl):
    """The fixed corner case central differences skip: exactly at the kink no gradient passes."""
    x = np.array([[0.0, 2.0, -1.0]])
    _, cache = impl.relu_forward(x)
    assert_close(impl.relu_backward(np.ones((1, 3)), cache), np.array([[0.0, 1.0, 0.0]]),
                 "relu_backward(ones, cache of x = [[0, 2, -1]])", atol=0,
                 mistake="the gradient passes only where the input was POSITIVE: dout * (x > 0), not x >= 0")


def test_tanh_forward_and_backward(impl, ref_tree, rng):
    x = rng.normal(size=(4, 5)) * 2
    out, cache = impl.tanh_forward(x)
    assert_close(out, np.tanh(x), "tanh_forward(x)[0]")
    dout = rng.normal(size=x.shape)
    dx = impl.tanh_backward(dout, cache)
    assert_close(dx, numgrad(ref_tree, lambda z: float(np.sum(np.tanh(z) * dout)), x),
                 "tanh_backward(dout, cache) against central differences", rtol=1e-6, atol=1e-8,
                 mistake="d tanh(x)/dx = 1 - tanh(x)^2, with the tanh OUTPUT squared")


def test_softmax_cross_entropy(impl, ref_tree, rng):
    logits, targets = rng.normal(size=(6, 4)) * 3, rng.integers(0, 4, 6)

    def loss_of(z):
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return float(-np.mean(np.log(p[np.arange(6), targets])))
    loss, dlogits = impl.softmax_cross_entropy(logits, targets)
    assert_close(loss, loss_of(logits), "softmax_cross_entropy(logits, targets)[0]",
                 mistake="the MEAN over the batch of -log softmax(logits)[target]")
    assert_close(dlogits, numgrad(ref_tree, loss_of, logits), "dlogits from softmax_cross_entropy",
                 rtol=1e-6, atol=1e-8, mistake="dlogits = (softmax(logits) - onehot(targets)) / N")


def test_softmax_cross_entropy_is_stable(impl, rng):
    logits = rng.normal(size=(3, 5)) + 1000.0
    logits[:, 0] += 50.0
    loss, dlogits = impl.softmax_cross_entropy(logits, np.zeros(3, dtype=int))
    expect(np.isfinite(loss) and np.all(np.isfinite(dlogits)),
           "softmax_cross_entropy overflowed on logits near 1000; subtract each row's max before exp")
    assert_close(loss, 0.0, "softmax_cross_entropy with the target 50 above the rest", atol=1e-15)



def compare_inputs(rng):
    # the forward functions also return caches (the learner's own layout), so only the loss is compared
    return [("softmax_cross_entropy(logits, targets)", "softmax_cross_entropy",
             (rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])), {})]
