"""Checks for phase01_neural_networks/mlp.py: Neuron, Layer and MLP on Value."""
import numpy as np

from checks.helpers import assert_close, expect


def randomise_biases(model, rng):
    for layer in model.layers:
        for neuron in layer.neurons:
            neuron.b.data = float(rng.normal())


def numpy_forward(model, x):
    """The same network written with matrices, read off the model's Values."""
    h = np.asarray(x, dtype=np.float64)
    for layer in model.layers:
        W = np.array([[w.data for w in n.w] for n in layer.neurons]).T      # (nin, nout)
        b = np.array([n.b.data for n in layer.neurons])
        h = h @ W + b
        if layer.neurons[0].nonlin:
            h = np.tanh(h)
    return h


def test_parameter_count_and_order(impl, rng):
    model = impl.MLP(3, [4, 4, 1], rng)
    params = model.parameters()
    expect(len(params) == 41, f"MLP(3, [4, 4, 1]).parameters() has {len(params)} entries, expected "
                              "(3+1)*4 + (4+1)*4 + (4+1)*1 = 41")
    first = model.layers[0].neurons[0]
    expect(params[:4] == first.w + [first.b], "parameters() must list the first neuron's weights, then its bias, first")


def test_forward_matches_matrix_form(impl, rng):
    model = impl.MLP(3, [5, 4, 2], rng)
    randomise_biases(model, rng)
    x = rng.normal(size=3)
    out = model(list(x))
    expect(isinstance(out, list) and len(out) == 2, f"MLP(3, [5, 4, 2])(x) returned {type(out).__name__} "
                                                    f"of length {len(out) if hasattr(out, '__len__') else '?'}; expected a list of 2 Values")
    assert_close(np.array([v.data for v in out]), numpy_forward(model, x), "MLP(3, [5, 4, 2])(x) against tanh(x W1 + b1) ...",
                 rtol=1e-10, atol=1e-12, mistake="a neuron computes tanh(sum_i w_i x_i + b); the last layer has no tanh")


def test_gradients_match_numerical(impl, ref_tree, rng):
    model = impl.MLP(2, [3, 2], rng)
    randomise_biases(model, rng)
    xs = rng.normal(size=(3, 2))
    params = model.parameters()
    model.zero_grad()
    loss = sum((o * o for x in xs for o in model(list(x))), impl.Value(0.0))
    loss.backward()
    got = np.array([p.grad for p in params])

    def f(theta):
        for p, t in zip(params, theta):
            p.data = float(t)
        return float(np.sum(numpy_forward(model, xs) ** 2))
    theta = np.array([p.data for p in params])
    num = ref_tree.load("phase00_math.calculus").numerical_gradient(f, theta.copy(), eps=1e-6)
    assert_close(got, num, "gradients of sum(MLP(x)^2) over three inputs, parameter by parameter", rtol=1e-5, atol=1e-7)


def test_training_lowers_the_loss(impl):
    rng = np.random.default_rng(0)
    model = impl.MLP(3, [4, 4, 1], rng)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(30):
        loss = sum(((model(x)[0] - y) ** 2 for x, y in zip(xs, ys)), impl.Value(0.0))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
        losses.append(loss.data)
    expect(losses[-1] < 0.5 * losses[0], f"30 steps of gradient descent took the loss from {losses[0]:.3f} "
                                         f"to {losses[-1]:.3f}; expected it at least halved")
