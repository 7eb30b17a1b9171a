"""Phase 3 in one picture: word vectors projected to the plane by principal component analysis, by hand.

PCA (Pearson 1901; Hotelling 1933) finds the directions along which the data varies most: the eigenvectors
of the covariance matrix, largest eigenvalue first. Projecting word2vec's vectors onto the first two shows
which words the model put together; the share of variance the two directions explain says how much of the
picture the plane keeps. The words come from a corpus with planted structure (each sentence draws its
words from one theme), so a reader can see whether the vectors found it.
"""
from __future__ import annotations

import numpy as np

from ..phase03_text_representation.word2vec import nearest_neighbours, train_word2vec

THEMES = {
    "numbers": ["one", "two", "three", "four", "five", "six", "seven", "eight"],
    "family": ["mother", "father", "sister", "brother", "aunt", "uncle", "daughter", "son"],
    "colours": ["red", "green", "blue", "yellow", "black", "white", "purple", "grey"],
    "animals": ["horse", "dog", "cat", "lion", "wolf", "sheep", "goat", "hare"],
    "weather": ["rain", "snow", "wind", "storm", "fog", "hail", "frost", "sun"],
}


def themed_corpus(rng: np.random.Generator, sentences: int = 600, length: int = 8) -> np.ndarray:
    """Given: word ids (sentences * length,); each sentence draws its words from one theme of THEMES."""
    size = len(next(iter(THEMES.values())))
    themes = rng.integers(0, len(THEMES), sentences)
    return (themes[:, None] * size + rng.integers(0, size, (sentences, length))).reshape(-1)


def pca_2d(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project the rows of X (N, D) onto its first two principal components, by hand.

    Centre the columns, form the covariance C = Xc^T Xc / (N - 1) (D, D), take its eigenvectors of the two
    largest eigenvalues (np.linalg.eigh returns them in ascending order). Each component's sign is fixed so
    that its entry of largest magnitude is positive (an eigenvector's sign is arbitrary).
    Returns coords (N, 2) = Xc @ components.T, explained (2,) the share of the total variance (trace of C)
    each component explains, components (2, D) unit rows.
    """
    raise NotImplementedError("pca_2d is not written yet (exercise 'embedding_pca'; hints: make hint ex=embedding_pca)")


def neighbour_table(W: np.ndarray, words: list[str], queries: list[str], k: int) -> dict[str, list[str]]:
    """{query: its k nearest words by cosine}, from phase 3's nearest_neighbours, most similar first."""
    raise NotImplementedError("neighbour_table is not written yet (exercise 'embedding_pca'; hints: make hint ex=embedding_pca)")


def embedding_map(seed: int = 0, dim: int = 16, epochs: int = 3, k: int = 5) -> dict:
    """The figure's data, from your phase 3: word2vec (train_word2vec(ids, V, dim, window=2, negatives=5,
    epochs, rng=default_rng(seed)), ids = themed_corpus(default_rng(seed))) on the themed corpus, projected by
    pca_2d, with the k nearest neighbours of each theme's first word. Returns
        "words" (V,), "themes" (V,) each word's theme, "coords" (V, 2), "explained" (2,),
        "neighbours" {word: [k words]}, "purity" the share of all those neighbours in their query's theme."""
    raise NotImplementedError("embedding_map is not written yet (exercise 'embedding_pca'; hints: make hint ex=embedding_pca)")


def plot_embedding_map(data: dict, path) -> None:
    """Given: each word at its two coordinates, coloured by theme, axes labelled with the variance they explain."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    themes = list(dict.fromkeys(data["themes"]))
    for colour, theme in zip(plt.cm.tab10.colors, themes):
        rows = [i for i, t in enumerate(data["themes"]) if t == theme]
        ax.scatter(data["coords"][rows, 0], data["coords"][rows, 1], color=colour, s=18, label=theme)
        for i in rows:
            ax.annotate(data["words"][i], data["coords"][i], fontsize=7, xytext=(2, 2), textcoords="offset points")
    ax.set_xlabel(f"first principal component ({100 * data['explained'][0]:.0f}% of the variance)")
    ax.set_ylabel(f"second ({100 * data['explained'][1]:.0f}%)")
    ax.legend(fontsize=7)
    ax.set_title(f"word2vec vectors in 2-D (PCA); {100 * data['purity']:.0f}% of nearest neighbours share the theme",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
