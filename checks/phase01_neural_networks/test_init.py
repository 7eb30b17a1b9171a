"""Checks for phase01_neural_networks/init.py: Xavier/Glorot and He initialisation, statistics through depth."""
import numpy as np

from checks.helpers import assert_close, expect


def relu(x):
    return np.maximum(0, x)


def test_xavier_range_and_variance(impl, rng):
    fan_in, fan_out = int(rng.integers(300, 500)), int(rng.integers(300, 700))
    W = impl.xavier_init(fan_in, fan_out, rng)
    expect(np.shape(W) == (fan_in, fan_out), f"xavier_init({fan_in}, {fan_out}, rng) has shape {np.shape(W)}")
    a = np.sqrt(6 / (fan_in + fan_out))
    expect(np.abs(W).max() <= a, f"xavier_init draws beyond the bound sqrt(6/(fan_in+fan_out)) = {a:.4f}: max |W| = {np.abs(W).max():.4f}",
           mistake="U(-a, a) with a = sqrt(6 / (fan_in + fan_out))")
    assert_close(W.var(), 2 / (fan_in + fan_out), f"variance of xavier_init({fan_in}, {fan_out})", rtol=0.03,
                 mistake="Var(U(-a, a)) = a^2 / 3 must equal 2 / (fan_in + fan_out)")
    expect(np.abs(W).max() > 0.97 * a, "xavier_init never comes near its bound: is it uniform on (-a, a)?")


def test_he_variance(impl, rng):
    fan_in, fan_out = int(rng.integers(200, 400)), int(rng.integers(400, 800))
    W = impl.he_init(fan_in, fan_out, rng)
    expect(np.shape(W) == (fan_in, fan_out), f"he_init({fan_in}, {fan_out}, rng) has shape {np.shape(W)}")
    assert_close(W.var(), 2 / fan_in, f"variance of he_init({fan_in}, {fan_out})", rtol=0.03,
                 mistake="N(0, 2 / fan_in): the standard deviation is sqrt(2 / fan_in)")
    assert_close(W.mean(), 0.0, f"mean of he_init({fan_in}, {fan_out})", atol=5 * np.sqrt(2 / fan_in / W.size))
    frac_beyond_2sd = np.mean(np.abs(W) > 2 * np.sqrt(2 / fan_in))
    expect(0.035 < frac_beyond_2sd < 0.06, f"{frac_beyond_2sd:.3f} of he_init's weights lie beyond 2 standard deviations; "
                                           "a normal distribution has 0.046 there (is it uniform?)")


def test_activation_stds_match_reference(impl, ref, seed):
    got = impl.activation_stds(ref.he_init, relu, 6, 64, 32, np.random.default_rng(seed))
    expected = ref.activation_stds(ref.he_init, relu, 6, 64, 32, np.random.default_rng(seed))
    assert_close(got, expected, "activation_stds(he_init, relu, depth=6, width=64, n=32, rng)", rtol=1e-10,
                 mistake="draw the inputs first, rng.normal(size=(n, width)), then each layer's W with init(width, width, rng)")


def test_statistics_through_depth(impl, rng):
    he = impl.activation_stds(impl.he_init, relu, 20, 128, 64, rng)
    expect(len(he) == 20, f"activation_stds(..., depth=20, ...) returned {len(he)} values, expected 20")
    # the reference's std wanders as a random walk: over 3000 seeds its extremes were 0.216 and 2.76 (Xavier with
    # ReLU reaches at most 0.0026 by layer 20, so the bounds still part them by 40x)
    expect(np.all((he > 0.1) & (he < 10.0)), f"with He init and ReLU the activation std should stay near 1 over 20 layers; "
                                            f"got {np.round(he[[0, 9, 19]], 4)} at layers 1, 10, 20")
    xavier_relu = impl.activation_stds(impl.xavier_init, relu, 20, 128, 64, rng)
    expect(xavier_relu[-1] < 0.02, f"Xavier init with ReLU should lose half the variance per layer (std {xavier_relu[-1]:.4f} at layer 20)")
    small = impl.activation_stds(lambda i, o, r: r.normal(0, 0.01, (i, o)), np.tanh, 20, 128, 64, rng)
    expect(small[-1] < 1e-8, f"N(0, 0.01^2) weights with tanh should make the signal vanish (std {small[-1]:.2e} at layer 20)")


def compare_inputs(rng):
    return [("he_init(4, 3, rng)", "he_init", (4, 3, np.random.default_rng(0)), {}),
            ("xavier_init(4, 3, rng)", "xavier_init", (4, 3, np.random.default_rng(0)), {})]
