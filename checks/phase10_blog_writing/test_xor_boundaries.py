"""Checks for phase10_blog_writing/decision_boundary.py: the grid's layout, and the figure's data: the perceptron
cannot separate XOR, the MLP does, and each grid is exactly what its model predicts."""
import numpy as np

from checks.helpers import assert_close, expect


def test_grid_points_layout(impl):
    got = impl.grid_points(-1.0, 1.0, 3)
    expected = np.array([[-1, -1], [0, -1], [1, -1], [-1, 0], [0, 0], [1, 0], [-1, 1], [0, 1], [1, 1]], dtype=float)
    assert_close(got, expected, "grid_points(-1, 1, 3)", mistake="point i * n + j is (xs[j], xs[i]): x varies fastest")


def test_boundary_grid_orientation(impl, ref, rng):
    w = rng.normal(size=2)
    b = float(rng.normal())

    def predict(points):
        return (points @ w + b > 0).astype(int)

    got = impl.boundary_grid(predict, -2.0, 2.0, 7)
    expect(np.shape(got) == (7, 7), f"boundary_grid(..., n=7) has shape {np.shape(got)}, expected (7, 7)")
    xs = np.linspace(-2.0, 2.0, 7)
    for i, j in ((0, 6), (6, 0), (2, 5)):
        expect(got[i, j] == predict(np.array([[xs[j], xs[i]]]))[0],
               f"boundary_grid(...)[{i}, {j}] is {got[i, j]}, but the classifier says "
               f"{predict(np.array([[xs[j], xs[i]]]))[0]} at (x={xs[j]:g}, y={xs[i]:g})",
               mistake="entry [i, j] is the label at (xs[j], xs[i]): rows are y, columns x (transposed?)")
    assert_close(got, ref.boundary_grid(predict, -2.0, 2.0, 7), "boundary_grid of a linear classifier")


def test_the_perceptron_cannot_separate_xor_and_the_mlp_does(impl, seed):
    data = impl.xor_boundaries(seed=seed % 1000, n_per_corner=20, grid=21)
    perceptron, mlp = data["perceptron"], data["mlp"]
    expect(perceptron["accuracy"] <= 0.8, f"the perceptron is {100 * perceptron['accuracy']:.0f}% right on XOR; no "
           "straight line gets more than about 3 of the 4 clouds right", mistake="is the perceptron trained on XOR's labels?")
    expect(mlp["accuracy"] >= 0.95, f"the two-layer network is only {100 * mlp['accuracy']:.0f}% right on XOR; "
           "expected at least 95%", mistake="train_spiral(X, y, rng, hidden, steps, lr=0.1), labels in {0, 1}")
    y_pred = (data["X"] @ perceptron["w"] + perceptron["b"] > 0).astype(int)
    expect(abs(np.mean(y_pred == data["y"]) - perceptron["accuracy"]) < 1e-12,
           f"the perceptron's accuracy {perceptron['accuracy']:.3f} is not that of its own w, b "
           f"({np.mean(y_pred == data['y']):.3f})", mistake="labels from {-1, +1} mapped to {0, 1} before comparing with y")


def mixed_draw(ref, seed: int) -> tuple[int, dict]:
    """The first seed from seed % 1000 on whose reference perceptron grid shows both labels, and that figure's
    data: a grid of one label reads the same in {0, 1} and in the perceptron's own {-1, +1}, and would hide a
    grid left unmapped (about one draw in four is all one label)."""
    for s in range(seed % 1000, seed % 1000 + 20):
        expected = ref.xor_boundaries(seed=s, n_per_corner=20, grid=21)
        if len(np.unique(expected["perceptron"]["grid"])) == 2:
            return s, expected
    raise AssertionError(f"precondition of this check: no seed in {seed % 1000}..{seed % 1000 + 19} gives the "
                         f"reference's perceptron a grid with both labels")


def test_each_grid_is_what_its_model_predicts(impl, ref, seed):
    s, expected = mixed_draw(ref, seed)
    data = impl.xor_boundaries(seed=s, n_per_corner=20, grid=21)
    assert_close(data["X"], expected["X"], "xor_boundaries(...)['X'] (the clouds of xor_clouds)")
    assert_close(data["xs"], np.linspace(-2, 2, 21), "xor_boundaries(...)['xs'] for grid=21")
    xs = data["xs"]
    gx, gy = np.meshgrid(xs, xs)
    linear = (gx * data["perceptron"]["w"][0] + gy * data["perceptron"]["w"][1] + data["perceptron"]["b"] > 0)
    assert_close(data["perceptron"]["grid"], linear.astype(np.int64),
                 "the perceptron's grid against 1[w . (x, y) + b > 0] at each grid point",
                 mistake="the grid shows the model's labels in {0, 1}, row i at y = xs[i]")
    assert_close(data["perceptron"]["w"], expected["perceptron"]["w"], "the perceptron's w (perceptron_train, epochs=50)",
                 mistake="labels 2 y - 1, in the data's order, lr 1")
    corners = {(0, 0): 0, (20, 20): 0, (0, 20): 1, (20, 0): 1}
    for (i, j), label in corners.items():
        expect(data["mlp"]["grid"][i, j] == label, f"the network's grid at (x={xs[j]:g}, y={xs[i]:g}) is "
               f"{data['mlp']['grid'][i, j]}, expected XOR's label {label} there")
    agree = np.mean(data["mlp"]["grid"] == expected["mlp"]["grid"])
    expect(agree >= 0.97, f"the network's grid agrees with the reference's on {100 * agree:.1f}% of the points, "
           "expected 97% or more", mistake="train_spiral with the same rng, after drawing the data; hidden 16, lr 0.1")
