"""Checks for phase10_blog_writing/embedding_map.py: PCA by hand against NumPy's SVD (up to sign), the variance it
explains, the sign convention, the neighbours, and the figure's data on the themed corpus."""
import numpy as np

from checks.helpers import assert_close, expect


def _data(rng, N=40, D=6):
    """Correlated columns far from the origin, with well separated variances."""
    return rng.normal(size=(N, D)) @ np.diag([5.0, 3.0, 1.0, 0.5, 0.2, 0.1]) @ np.linalg.qr(rng.normal(size=(D, D)))[0] + 7


def test_pca_against_svd_up_to_sign(impl, rng):
    X = _data(rng)
    coords, explained, components = impl.pca_2d(X)
    expect(np.shape(coords) == (40, 2) and np.shape(components) == (2, 6) and np.shape(explained) == (2,),
           f"pca_2d(X (40, 6)) gave shapes {np.shape(coords)}, {np.shape(explained)}, {np.shape(components)}; "
           "expected (40, 2), (2,), (2, 6)")
    Xc = X - X.mean(axis=0)
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    signs = np.sign(np.sum(components * Vt[:2], axis=1))
    assert_close(components * signs[:, None], Vt[:2], "pca_2d's components against np.linalg.svd's first two (up to sign)",
                 rtol=1e-7, atol=1e-9, mistake="centre the columns; eigh's eigenvalues are ascending: take the last two, largest first")
    assert_close(coords * signs, Xc @ Vt[:2].T, "pca_2d's coords against the centred data projected (up to sign)",
                 rtol=1e-7, atol=1e-9, mistake="coords = (X - mean) @ components.T")
    assert_close(explained, s[:2] ** 2 / np.sum(s ** 2), "pca_2d's explained variance against s_i^2 / sum(s^2)",
                 rtol=1e-8, mistake="each eigenvalue over the trace of the covariance, not over the two kept")


def test_pca_sign_convention(impl, ref, rng):
    X = _data(rng)
    _, _, components = impl.pca_2d(X)
    biggest = components[np.arange(2), np.argmax(np.abs(components), axis=1)]
    expect(np.all(biggest > 0), f"pca_2d's components have largest-magnitude entries {biggest}; the sign is fixed "
           "so that they are positive", mistake="multiply each component by the sign of its largest-magnitude entry")
    for got, expected, name in zip(impl.pca_2d(X), ref.pca_2d(X), ("coords", "explained", "components")):
        assert_close(got, expected, f"pca_2d(X)'s {name}", rtol=1e-8, atol=1e-10)


def test_pca_of_a_line_explains_everything(impl):
    t = np.linspace(-1, 1, 11)
    coords, explained, _ = impl.pca_2d(np.column_stack([3 * t, 4 * t, np.zeros_like(t)]) + 1.0)
    assert_close(explained[0], 1.0, "the first component's share of the variance for points on a line", rtol=1e-9)
    assert_close(np.abs(coords[:, 0]), 5 * np.abs(t), "|coords| along the line (3t, 4t, 0): 5 |t|", rtol=1e-9, atol=1e-9)


def test_neighbour_table(impl, ref, rng):
    W = rng.normal(size=(9, 4))
    words = [f"w{i}" for i in range(9)]
    got = impl.neighbour_table(W, words, ["w0", "w5"], 3)
    expected = ref.neighbour_table(W, words, ["w0", "w5"], 3)
    expect(got == expected, f"neighbour_table(W, words, ['w0', 'w5'], 3) gave {got}, expected {expected}",
           mistake="phase 3's nearest_neighbours gives ids, most similar first; map them to words")


def test_the_map_of_the_themed_corpus(impl, ref, seed):
    data = impl.embedding_map(seed=seed % 1000, dim=8, epochs=2, k=4)
    expected = ref.embedding_map(seed=seed % 1000, dim=8, epochs=2, k=4)
    expect(data["words"] == expected["words"] and data["themes"] == expected["themes"],
           "embedding_map's words or themes are not THEMES' words in order, each with its theme")
    expect(data["purity"] >= 0.9, f"only {100 * data['purity']:.0f}% of the neighbours share their word's theme; expected "
           "at least 90% on the themed corpus", mistake="train_word2vec on themed_corpus, then nearest_neighbours of W")
    assert_close(data["coords"], expected["coords"], "embedding_map's coords (pca_2d of word2vec's W)", rtol=1e-6, atol=1e-8)
    assert_close(data["explained"], expected["explained"], "embedding_map's explained variance", rtol=1e-6)
