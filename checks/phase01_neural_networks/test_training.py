"""Checks for phase01_neural_networks/training.py: SGD with momentum, the two-layer network, the spiral."""
import numpy as np

from checks.helpers import assert_close, expect


def test_momentum_step_known_values(impl):
    params = {"w": np.array([1.0, -1.0])}
    grads = {"w": np.array([2.0, 0.0])}
    velocities = {"w": np.array([0.5, 1.0])}
    result = impl.sgd_momentum_step(params, grads, velocities, lr=0.1, momentum=0.9)
    # v = 0.9 * [0.5, 1] - 0.1 * [2, 0] = [0.25, 0.9]; p = [1, -1] + v = [1.25, -0.1]
    assert_close(velocities["w"], np.array([0.25, 0.9]), "velocities['w'] after sgd_momentum_step (in place)",
                 mistake="v <- momentum * v - lr * g, updated IN PLACE in the velocities dict")
    assert_close(params["w"], np.array([1.25, -0.1]), "params['w'] after sgd_momentum_step (in place)",
                 mistake="p <- p + v with the NEW velocity, in place")
    expect(result is None or result is params, "sgd_momentum_step works in place")


def test_two_layer_gradients(impl, ref_tree, rng):
    X, y = rng.normal(size=(7, 2)), rng.integers(0, 3, 7)
    params = impl.init_two_layer(2, 5, 3, rng)
    loss, grads = impl.two_layer_loss(params, X, y)
    num = ref_tree.load("phase00_math.calculus").numerical_gradient
    for key in ("W1", "b1", "W2", "b2"):
        def f(value, key=key):
            trial = dict(params, **{key: value})
            return impl.two_layer_loss(trial, X, y)[0]
        assert_close(grads[key], num(f, params[key].copy(), eps=1e-6), f"grads['{key}'] from two_layer_loss",
                     rtol=1e-5, atol=1e-7, mistake="backward runs the layers in reverse: linear2, ReLU, linear1")


def test_spiral_reaches_95_percent(impl, rng):
    X, y = impl.make_spiral(100, 3, rng)
    params, losses = impl.train_spiral(X, y, rng, steps=300)
    accuracy = np.mean(impl.predict(params, X) == y)
    expect(accuracy >= 0.95, f"300 steps of SGD with momentum reached {accuracy:.1%} on the 3-arm spiral "
                             f"(loss {losses[0]:.3f} -> {losses[-1]:.3f}); expected at least 95%")
