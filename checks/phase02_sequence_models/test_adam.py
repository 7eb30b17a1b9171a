"""Checks for phase02_sequence_models/optim.py: Adam's step, its moments and its bias correction."""
import numpy as np

from checks.helpers import assert_close, expect


def adam_by_hand(p, grads_per_step, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Kingma and Ba's Algorithm 1 for one array, step by step."""
    p, m, v = p.copy(), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads_per_step, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return p


def test_first_step_moves_every_entry_by_lr(impl, rng):
    """At t = 1 the corrected moments are g and g^2, so the step is lr * g / (|g| + eps): lr, whatever |g| is."""
    params = {"w": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}
    sizes = (1.0 + rng.random((3, 4))) * np.logspace(-3, 3, 4)           # |g| from 1e-3 to 2e3, far above eps
    grads = {"w": sizes * rng.choice([-1.0, 1.0], size=(3, 4)), "b": (1.0 + rng.random(4)) * -1e-3}
    before = {k: v.copy() for k, v in params.items()}
    result = impl.adam_step(params, grads, {}, 0.01)
    expect(result is None, f"adam_step returned {type(result).__name__}; it updates params in place and returns None")
    for k in params:
        assert_close(before[k] - params[k], 0.01 * np.sign(grads[k]), f"params['{k}'] change after the first adam_step",
                     rtol=1e-3, atol=1e-9,
                     mistake="bias correction: divide m by (1 - b1^t) and v by (1 - b2^t), with t = 1 on the first step")


def test_steps_follow_the_algorithm(impl, rng):
    p0 = rng.normal(size=(2, 3))
    grads = [rng.normal(size=(2, 3)) * s for s in (1.0, 0.1, 3.0, 0.5, 2.0, 1.0)]
    params, state = {"w": p0.copy()}, {}
    for g in grads:
        impl.adam_step(params, {"w": g}, state, 3e-3, betas=(0.8, 0.99), eps=1e-6)
    assert_close(params["w"], adam_by_hand(p0, grads, 3e-3, 0.8, 0.99, 1e-6),
                 "params['w'] after 6 adam_step calls (betas (0.8, 0.99), eps 1e-6)", rtol=1e-9, atol=1e-12,
                 mistake="m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2 kept in state between calls; "
                         "p -= lr m_hat / (sqrt(v_hat) + eps) with eps outside the square root")
    expect(state.get("t") == 6, f"state['t'] is {state.get('t')!r} after 6 calls, expected 6")


def test_matches_reference_on_several_parameters(impl, ref, rng):
    shapes = {"W": (4, 3), "b": (3,), "E": (5, 2)}
    params = {k: rng.normal(size=s) for k, s in shapes.items()}
    ref_params, state, ref_state = {k: v.copy() for k, v in params.items()}, {}, {}
    for _ in range(4):
        grads = {k: rng.normal(size=s) for k, s in shapes.items()}
        impl.adam_step(params, grads, state, 0.05)
        ref.adam_step(ref_params, grads, ref_state, 0.05)
    for k in shapes:
        assert_close(params[k], ref_params[k], f"params['{k}'] after 4 adam_step calls", rtol=1e-9, atol=1e-12,
                     mistake="every parameter keeps its own m and v; the step count t is shared")


def test_parameter_without_a_gradient_stays(impl, rng):
    """A parameter missing from grads (frozen this step) keeps its value, although its moments are not zero."""
    params = {"w": rng.normal(size=3), "b": rng.normal(size=2)}
    state = {}
    for _ in range(3):
        impl.adam_step(params, {"w": rng.normal(size=3), "b": rng.normal(size=2)}, state, 0.1)
    frozen = params["b"].copy()
    grads = {"w": rng.normal(size=3)}
    expect("b" not in grads and np.any(state.get("m_b", np.zeros(2)) != 0),
           "precondition of this check: 'b' has no gradient this step and non-zero moments from earlier steps")
    impl.adam_step(params, grads, state, 0.1)
    assert_close(params["b"], frozen, "params['b'] after an adam_step whose grads hold only 'w'", rtol=0, atol=0,
                 mistake="update only the parameters named in grads: one without a gradient must not move "
                         "(its old momentum would move it)")
    expect(state.get("t") == 4, f"state['t'] is {state.get('t')!r} after 4 calls, expected 4")
