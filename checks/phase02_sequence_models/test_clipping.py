"""Checks for phase02_sequence_models/clipping.py: clipping by global norm, gradient norms through time."""
import numpy as np

from checks.helpers import assert_close, expect


def test_global_norm_known_values(impl):
    grads = [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])]   # norms 3 and 4, global norm 5
    clipped, total = impl.clip_by_global_norm(grads, 1.0)
    assert_close(total, 5.0, "the total norm returned by clip_by_global_norm([3, 0], [[0], [4]])")
    assert_close(clipped[0], np.array([0.6, 0.0]), "first array after clip_by_global_norm(..., max_norm=1)",
                 mistake="scale EVERY array by the same max_norm / global_norm, not each by its own norm")
    assert_close(clipped[1], np.array([[0.0], [0.8]]), "second array after clip_by_global_norm(..., max_norm=1)",
                 mistake="scale EVERY array by the same max_norm / global_norm, not each by its own norm")
    assert_close(grads[0], np.array([3.0, 0.0]), "the input array after clip_by_global_norm (must not change)")


def test_direction_kept_and_small_gradients_untouched(impl, rng):
    grads = [rng.normal(size=(4, 5)) * 10, rng.normal(size=7) * 0.1, rng.normal(size=(2, 2, 2))]
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    clipped, got_total = impl.clip_by_global_norm(grads, total / 4)
    assert_close(got_total, total, "clip_by_global_norm(grads, max_norm)[1]")
    for g, c in zip(grads, clipped):
        assert_close(c, g / 4, "each array clipped to a quarter of the global norm", rtol=1e-9,
                     mistake="one factor for all: min(1, max_norm / global_norm)")
    unchanged, _ = impl.clip_by_global_norm(grads, total * 2)
    for g, c in zip(grads, unchanged):
        assert_close(c, g, "an array whose global norm is already below max_norm", rtol=1e-12,
                     mistake="never scale UP: the factor is min(1, max_norm / global_norm)")


def test_zero_gradients(impl):
    """A fixed corner case: all gradients zero (a frozen layer, say) have norm 0 and stay zero."""
    clipped, total = impl.clip_by_global_norm([np.zeros((2, 3)), np.zeros(4)], 1.0)
    assert_close(total, 0.0, "the total norm of clip_by_global_norm([zeros (2, 3), zeros (4,)], 1.0)", atol=0)
    for c, shape in zip(clipped, [(2, 3), (4,)]):
        assert_close(c, np.zeros(shape), "zero gradients after clip_by_global_norm", atol=0,
                     mistake="max_norm / total divides by zero when every gradient is zero: add a tiny epsilon "
                             "(max_norm / (total + 1e-12))")


def test_norms_through_time_are_powers(impl, rng):
    """A linear RNN (hs = 0, so tanh' = 1) with Wh = a Q, Q orthogonal: ||dh_t|| = a^(T-1-t) ||dh_last||."""
    H, T = 6, 12
    Q, _ = np.linalg.qr(rng.normal(size=(H, H)))
    dh = rng.normal(size=H)
    for a in (0.7, 1.3):
        norms = impl.gradient_norms_through_time(a * Q, np.zeros((T, H)), dh)
        assert_close(norms, np.linalg.norm(dh) * a ** np.arange(T - 1, -1, -1.0),
                     f"gradient_norms_through_time(Wh = {a} Q, zeros, dh)", rtol=1e-9,
                     mistake="norms[t] is ||dL/dh_t||; going back a step: dh_{t-1} = (dh_t * (1 - h_t^2)) @ Wh.T")


def test_norms_through_tanh(impl, ref, rng):
    H, T = 5, 8
    Wh = rng.normal(size=(H, H))
    hs = np.tanh(rng.normal(size=(T, H)))
    dh = rng.normal(size=H)
    got = impl.gradient_norms_through_time(Wh, hs, dh)
    assert_close(got, ref.gradient_norms_through_time(Wh, hs, dh), "gradient_norms_through_time(Wh, hs, dh_last)",
                 rtol=1e-9, mistake="multiply by tanh' = 1 - h_t^2 of the state you are leaving, then by Wh^T")
    expect(got[-1] == np.linalg.norm(dh) or np.isclose(got[-1], np.linalg.norm(dh)),
           "norms[-1] must be ||dh_last|| itself")


def compare_inputs(rng):
    grads = [rng.normal(size=(3, 3)) * 5, rng.normal(size=3)]
    return [("clip_by_global_norm(grads, 1.0)", "clip_by_global_norm", (grads, 1.0), {})]
