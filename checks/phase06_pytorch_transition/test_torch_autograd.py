"""Checks for phase06_pytorch_transition/tensors.py: autograd and nn.Module against phase 1's Value.

Each expression below is written once and run twice: on phase 1's Values and on float64 tensors. The
learner's PyTorch code is compared with known derivatives, with the reference, and with the learner's own
phase 1 (loaded from the same tree), in float64 to about 1e-12.
"""
import math

import numpy as np
import torch

from checks.helpers import assert_close, expect

EXPRESSIONS = [
    ("a * b + c", lambda a, b, c: a * b + c),
    ("(a * b).tanh() + a / c", lambda a, b, c: (a * b).tanh() + a / c),
    ("(a ** 2 + b ** 2).log() * c.exp()", lambda a, b, c: (a ** 2 + b ** 2).log() * c.exp()),
    ("d * d with d = a - b, then .relu() + 2 / c", lambda a, b, c: ((a - b) * (a - b)).relu() + 2 / c),
    ("a neuron: (a * 0.7 - b * 1.3 + c * 0.2 + 0.1).tanh()", lambda a, b, c: (a * 0.7 - b * 1.3 + c * 0.2 + 0.1).tanh()),
    ("six layers reusing a", lambda a, b, c: _chain(a, b, c)),
]


def _chain(a, b, c):
    h = a
    for _ in range(6):
        h = (h * b + c).tanh() + h * a
    return h


def inputs(rng):
    return [float(rng.uniform(0.3, 1.2)), float(rng.uniform(-1.2, -0.3)), float(rng.uniform(0.5, 1.5))]


def value_gradients(Value, f, xs):
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def test_gradients_known_values(impl, rng):
    a, b = float(rng.uniform(0.3, 1.0)), float(rng.uniform(-1.0, -0.3))
    value, grads = impl.gradients(lambda x, y: x * y + x.tanh(), [a, b])
    expect(isinstance(value, float) and all(isinstance(g, float) for g in grads),
           f"gradients(f, xs) must return (float, list of floats); got ({type(value).__name__}, "
           f"{[type(g).__name__ for g in grads]})", mistake="return out.item() and leaf.grad.item(), not tensors")
    assert_close(value, a * b + math.tanh(a), f"value of x * y + x.tanh() at x = {a:.3f}, y = {b:.3f}", rtol=1e-12)
    assert_close(np.array(grads), np.array([b + 1 - math.tanh(a) ** 2, a]),
                 f"[df/dx, df/dy] of x * y + x.tanh() at x = {a:.3f}, y = {b:.3f}", rtol=1e-12, atol=1e-14,
                 mistake="leaves need requires_grad=True and dtype float64; call .backward() on the output")
    _, grads = impl.gradients(lambda x, y: x.exp(), [a, b])
    assert_close(np.array(grads), np.array([math.exp(a), 0.0]), "gradients of x.exp() with respect to (x, y)",
                 rtol=1e-12, mistake="an input f does not use has grad None in PyTorch: report it as 0.0")


def test_gradients_equal_your_value(impl, impl_tree, rng):
    Value = impl_tree.load("phase01_neural_networks.autograd").Value
    for text, f in EXPRESSIONS:
        xs = inputs(rng)
        value, grads = impl.gradients(f, xs)
        expected_value, expected_grads = value_gradients(Value, f, xs)
        where = f"{text} at a, b, c = {xs[0]:.3f}, {xs[1]:.3f}, {xs[2]:.3f}"
        assert_close(value, expected_value, f"value of {where}, PyTorch against your phase 1 Value", rtol=1e-12)
        assert_close(np.array(grads), np.array(expected_grads),
                     f"[a.grad, b.grad, c.grad] of {where}, PyTorch against your phase 1 Value", rtol=1e-10, atol=1e-12,
                     mistake="float64 leaves (torch.float32 differs from Value's Python floats at 1e-7)")


def test_gradients_match_reference(impl, ref, rng):
    for text, f in EXPRESSIONS[:3]:
        xs = inputs(rng)
        value, grads = impl.gradients(f, xs)
        expected_value, expected_grads = ref.gradients(f, xs)
        assert_close(value, expected_value, f"gradients({text}) value", rtol=1e-12)
        assert_close(np.array(grads), np.array(expected_grads), f"gradients({text}) grads", rtol=1e-12, atol=1e-14)


def test_mlp_registers_its_layers(impl):
    model = impl.MLP(3, [4, 5, 2])
    shapes = [tuple(p.shape) for p in model.parameters()]
    expect(shapes == [(4, 3), (4,), (5, 4), (5,), (2, 5), (2,)],
           f"MLP(3, [4, 5, 2]).parameters() has shapes {shapes}; expected [(4, 3), (4,), (5, 4), (5,), (2, 5), (2,)]",
           mistake="keep the layers in an nn.ModuleList (a plain list hides them from parameters()), each an "
                   "nn.Linear(n_in, n_out), whose weight is (n_out, n_in)")
    expect(all(p.dtype == torch.float64 for p in model.parameters()),
           f"MLP parameters have dtypes {sorted({str(p.dtype) for p in model.parameters()})}; expected torch.float64",
           mistake="nn.Linear(a, b, dtype=torch.float64)")
    out = model(torch.zeros(7, 3, dtype=torch.float64))
    expect(tuple(out.shape) == (7, 2), f"MLP(3, [4, 5, 2])(x (7, 3)) has shape {tuple(out.shape)}, expected (7, 2)")


def value_mlp_loss(mlp, Value, x):
    """Phase 1's MLP on each row of x; loss = sum of squared outputs. Returns (outputs (N, nout), loss, params)."""
    rows = [mlp([Value(float(v)) for v in row]) for row in x]
    loss = sum((o * o for row in rows for o in row), Value(0.0))
    loss.backward()
    return np.array([[o.data for o in row] for row in rows]), loss.data, mlp.parameters()


def in_value_order(model):
    """The module's parameter gradients in phase 1's order: for each layer, for each neuron, weights then bias."""
    return np.concatenate([np.concatenate([layer.weight.grad.numpy(), layer.bias.grad.numpy()[:, None]], axis=1).ravel()
                           for layer in model.layers])


def _mlp_parity(impl, tree, rng, whose):
    phase1 = tree.load("phase01_neural_networks.mlp")
    Value = tree.load("phase01_neural_networks.autograd").Value
    value_mlp = phase1.MLP(3, [4, 4, 2], np.random.default_rng(int(rng.integers(2**31))))
    x = rng.normal(size=(5, 3))
    model = impl.MLP.from_value_mlp(value_mlp)
    out = model(torch.tensor(x))
    loss = (out ** 2).sum()
    loss.backward()
    expected_out, expected_loss, params = value_mlp_loss(value_mlp, Value, x)
    assert_close(out.detach().numpy(), expected_out, f"MLP.from_value_mlp(mlp)(x (5, 3)) against {whose} MLP",
                 rtol=1e-12, atol=1e-14, mistake="row j of layers[l].weight is neuron j's w; tanh on every layer but the last")
    assert_close(in_value_order(model), np.array([p.grad for p in params]),
                 f"parameter gradients of sum(out ** 2), in {whose} MLP's parameters() order", rtol=1e-10, atol=1e-12)


def test_mlp_equals_your_phase1_mlp(impl, impl_tree, rng):
    _mlp_parity(impl, impl_tree, rng, "your phase 1")


def test_mlp_equals_reference_phase1_mlp(impl, ref_tree, rng):
    _mlp_parity(impl, ref_tree, rng, "the reference phase 1")


def test_mlp_with_large_pre_activations(impl, ref, ref_tree, rng):
    """Inputs in the hundreds, so tanh's inputs reach the thousands: outputs and gradients against the reference.

    The last row points along the first neuron's weights, so its pre-activation is 1e4 * sum|w| whatever the draw:
    large enough (> 355) that exp(2x) overflows float64, except when sum|w| < 0.0355 (about 1 draw in 10^5)."""
    value_mlp = ref_tree.load("phase01_neural_networks.mlp").MLP(3, [4, 2], np.random.default_rng(int(rng.integers(2**31))))
    first_weights = np.array([w.data for w in value_mlp.layers[0].neurons[0].w])
    x = torch.tensor(np.vstack([300 * rng.normal(size=(5, 3)), 1e4 * np.sign(first_weights)]))
    model, expected_model = impl.MLP.from_value_mlp(value_mlp), ref.MLP.from_value_mlp(value_mlp)
    out, expected = model(x), expected_model(x)
    assert_close(out.detach().numpy(), expected.detach().numpy(), "MLP.from_value_mlp(mlp)(x) with inputs in the hundreds",
                 rtol=1e-12, atol=1e-12, mistake="torch.tanh is finite for any input; (exp(2x) - 1) / (exp(2x) + 1) is "
                 "inf / inf = NaN once exp(2x) overflows")
    (out ** 2).sum().backward()
    (expected ** 2).sum().backward()
    for (name, p), e in zip(model.named_parameters(), expected_model.parameters()):
        assert_close(p.grad.numpy(), e.grad.numpy(), f"{name}.grad with inputs in the hundreds", rtol=1e-10, atol=1e-12)


def test_loaded_weights_are_leaves(impl, ref_tree, rng):
    value_mlp = ref_tree.load("phase01_neural_networks.mlp").MLP(2, [3, 1], rng)
    model = impl.MLP.from_value_mlp(value_mlp)
    for name, p in model.named_parameters():
        expect(p.is_leaf and p.requires_grad, f"after from_value_mlp, {name} is_leaf={p.is_leaf}, "
               f"requires_grad={p.requires_grad}; expected a trainable leaf",
               mistake="copy into the existing parameters under torch.no_grad() (p.copy_(...)); do not replace them")


def compare_inputs(rng):
    return [(f"gradients({text}, [a, b, c])", "gradients", (f, inputs(rng)), {}) for text, f in EXPRESSIONS]
