"""Checks for phase01_neural_networks/autograd.py: the scalar autograd engine Value (core contract)."""
import math

import numpy as np

from checks.helpers import assert_close, expect


def grads_of(impl, f, xs):
    """Values for xs, f applied, backward(); returns (output data, list of input grads)."""
    vals = [impl.Value(x) for x in xs]
    out = f(*vals)
    out.backward()
    return out.data, np.array([v.grad for v in vals])


def numeric(ref_tree, f, xs):
    num = ref_tree.load("phase00_math.calculus").numerical_gradient
    return num(lambda z: f(*z), np.array(xs, dtype=np.float64), eps=1e-6)


def test_arithmetic_values(impl):
    a, b = impl.Value(3.0), impl.Value(-2.0)
    cases = [("a + b", a + b, 1.0), ("a - b", a - b, 5.0), ("a * b", a * b, -6.0), ("a / b", a / b, -1.5),
             ("a ** 2", a ** 2, 9.0), ("2 + a", 2 + a, 5.0), ("2 * a", 2 * a, 6.0), ("1 - a", 1 - a, -2.0),
             ("6 / a", 6 / a, 2.0), ("b.relu()", b.relu(), 0.0), ("a.relu()", a.relu(), 3.0),
             ("b.tanh()", b.tanh(), math.tanh(-2.0)), ("b.exp()", b.exp(), math.exp(-2.0)), ("a.log()", a.log(), math.log(3.0))]
    for text, value, expected in cases:
        expect(isinstance(value, impl.Value), f"{text} returned {type(value).__name__}, expected a Value")
        assert_close(value.data, expected, f"({text}).data for a = 3, b = -2", rtol=1e-12)


def test_each_operation_gradient(impl, rng):
    x, y = float(rng.uniform(0.5, 2.0)), float(rng.uniform(-2.0, -0.5))
    ops = [("a + b", lambda a, b: a + b, (1.0, 1.0)),
           ("a * b", lambda a, b: a * b, (y, x)),
           ("a ** 3", lambda a, b: a ** 3, (3 * x ** 2, 0.0)),
           ("a.tanh()", lambda a, b: a.tanh(), (1 - math.tanh(x) ** 2, 0.0)),
           ("b.relu() + a.relu()", lambda a, b: b.relu() + a.relu(), (1.0, 0.0)),
           ("a.exp()", lambda a, b: a.exp(), (math.exp(x), 0.0)),
           ("a.log()", lambda a, b: a.log(), (1 / x, 0.0)),
           ("a / b", lambda a, b: a / b, (1 / y, -x / y ** 2))]
    for text, f, expected in ops:
        _, grads = grads_of(impl, f, (x, y))
        assert_close(grads, np.array(expected), f"[a.grad, b.grad] after ({text}).backward() at a={x:.3f}, b={y:.3f}",
                     rtol=1e-9, atol=1e-12)


def test_output_grad_is_one(impl):
    out = impl.Value(2.0) * 3
    out.backward()
    assert_close(out.grad, 1.0, "out.grad after out.backward()", mistake="backward() starts with self.grad = 1")


def test_node_used_twice_accumulates(impl, rng):
    x = float(rng.uniform(0.5, 2.0))
    _, g = grads_of(impl, lambda a: a + a, (x,))
    assert_close(g[0], 2.0, "a.grad after (a + a).backward()",
                 mistake="each _backward must ADD into .grad (+=): a node used twice gets both contributions")
    _, g = grads_of(impl, lambda a: a * a, (x,))
    assert_close(g[0], 2 * x, f"a.grad after (a * a).backward() at a = {x:.3f}", rtol=1e-12,
                 mistake="each _backward must ADD into .grad (+=): a node used twice gets both contributions")


def test_composite_matches_numerical_gradient(impl, ref_tree, rng):
    """A graph where nodes feed several consumers at different depths: needs += and a topological order."""
    def f(a, b, c):
        d = a * b + c
        e = d.tanh()
        g = e * d + (a ** 2).exp().log() - b / c
        return (g * e + (d * c).relu()) * 0.5 + e
    xs = [float(rng.uniform(0.3, 1.0)), float(rng.uniform(-1.0, -0.3)), float(rng.uniform(1.0, 2.0))]
    data, grads = grads_of(impl, f, xs)
    floats = lambda a, b, c: f(*(impl.Value(v) for v in (a, b, c))).data  # noqa: E731
    assert_close(data, floats(*xs), "f(a, b, c).data", rtol=1e-12)
    assert_close(grads, numeric(ref_tree, floats, xs), "[a.grad, b.grad, c.grad] of a composite expression",
                 rtol=1e-5, atol=1e-7,
                 mistake="gradients must be complete before they are passed on: sort the graph topologically "
                         "(a node after all its inputs) and call _backward in REVERSE of that order")


def test_deep_chain_order(impl, ref_tree, rng):
    x = float(rng.uniform(0.1, 0.5))

    def f(a):
        h = a
        for _ in range(6):
            h = (h * a + h).tanh() + h * 0.5
        return h
    _, g = grads_of(impl, f, (x,))
    num = numeric(ref_tree, lambda a: f(impl.Value(a)).data, [x])
    assert_close(g, num, "a.grad for a chain of six layers reusing a", rtol=1e-5, atol=1e-8,
                 mistake="call _backward from the output back in topological order, each node once")



def test_large_inputs_and_the_kink(impl):
    """Fixed corner cases: tanh far out in its flat tails, and relu exactly at its kink (derivative 0 there)."""
    for x in (1000.0, -1000.0):
        _, g = grads_of(impl, lambda a: a.tanh(), (x,))
        assert_close(impl.Value(x).tanh().data, math.copysign(1.0, x), f"Value({x:g}).tanh().data", rtol=1e-12,
                     mistake="math.tanh is stable; (exp(2a) - 1) / (exp(2a) + 1) overflows for large a")
        assert_close(g[0], 0.0, f"a.grad after a.tanh().backward() at a = {x:g}", atol=1e-12)
    _, g = grads_of(impl, lambda a: a.relu(), (0.0,))
    assert_close(g[0], 0.0, "a.grad after a.relu().backward() at a = 0", atol=0,
                 mistake="relu's derivative is 1 where a > 0 and 0 elsewhere, a = 0 included: (self.data > 0)")
