"""The figures in the notes, one per phase, drawn from the reference solutions: `python -m grading.figures`
rewrites notes/figures/*.png (about a minute of CPU; phase 4's trains three small models). `--phase N` draws
one. Phase 10's exercises compute the data of several (the same functions draw the learner's own for
`make blog`)."""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from grading import ROOT
from grading.trees import Tree

FIGURES = ROOT / "notes" / "figures"
DPI = 80


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    _plt().close(fig)
    return path


def phase00(ref: Tree, path: Path) -> Path:
    """Gradient descent on a long narrow bowl: a small step crawls along the shallow axis, a large one zig-zags
    across the steep one (close to 2 / lambda_max, beyond which it diverges)."""
    gd = ref.load("phase00_math.gradient_descent")
    A, b = np.array([[3.0, 0.0], [0.0, 0.3]]), np.array([3.0, 0.6])   # minimum at A^-1 b = (1, 2); lambda_max 3
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    g = np.linspace(-0.6, 2.6, 120)
    X, Y = np.meshgrid(g, g)
    F = 0.5 * (A[0, 0] * X ** 2 + A[1, 1] * Y ** 2) - b[0] * X - b[1] * Y
    ax.contour(X, Y, F, levels=18, colors="grey", linewidths=0.5)
    for lr, colour in ((0.1, "tab:blue"), (0.55, "tab:orange"), (0.66, "tab:red")):
        path_points = np.array([gd.minimize_quadratic(A, b, lr, k) for k in range(0, 26)])
        ax.plot(path_points[:, 0], path_points[:, 1], "o-", ms=2.5, lw=0.9, color=colour,
                label=f"lr {lr:g} (lr x lambda_max = {lr * 3:.2f})")
    ax.plot([1], [2], "k*", ms=10, label="minimum A^-1 b")
    ax.set_xlim(-0.6, 2.6)
    ax.set_ylim(-0.6, 2.6)
    ax.set_aspect("equal")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("25 steps of gradient descent on f(x) = x^T A x / 2 - b^T x, A = diag(3, 0.3)", fontsize=9)
    return _save(fig, path)


def phase01(ref: Tree, path: Path) -> Path:
    """XOR: the perceptron's line against the two-layer network's bend (phase 10's xor_boundaries)."""
    figure = ref.load("phase10_blog_writing.decision_boundary")
    figure.plot_xor_boundaries(figure.xor_boundaries(seed=0), path)
    return path


def phase02(ref: Tree, path: Path) -> Path:
    """Backpropagation through time: the gradient reaching h_t from a loss at the last step shrinks or grows
    geometrically with the distance, set by the recurrent matrix's scale."""
    rnn = ref.load("phase02_sequence_models.rnn")
    rng = np.random.default_rng(0)
    T, D, H = 60, 8, 32
    x = rng.normal(size=(1, T, D))
    Q = np.linalg.qr(rng.normal(size=(H, H)))[0]                # orthogonal: every singular value 1
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for scale, colour in ((0.6, "tab:blue"), (1.0, "tab:green"), (1.6, "tab:red")):
        Wx, Wh, bias = 0.1 * rng.normal(size=(D, H)), scale * Q, np.zeros(H)
        _, caches = rnn.rnn_forward(x, np.zeros((1, H)), Wx, Wh, bias)
        dh, norms = rng.normal(size=(1, H)), []
        for cache in reversed(caches):
            norms.append(float(np.linalg.norm(dh)))
            _, dh, _, _, _ = rnn.rnn_step_backward(dh, cache)
        ax.semilogy(range(T), norms, color=colour, label=f"W_h = {scale:g} x orthogonal")
    ax.set_xlabel("steps back from the loss (T - t)")
    ax.set_ylabel("||dL / dh_t||")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    ax.set_title("A vanilla RNN's gradient through time (tanh, 60 steps)", fontsize=10)
    return _save(fig, path)


def phase03(ref: Tree, path: Path) -> Path:
    """word2vec's vectors of a themed corpus, PCA to 2-D (phase 10's embedding_pca)."""
    figure = ref.load("phase10_blog_writing.embedding_map")
    figure.plot_embedding_map(figure.embedding_map(seed=0), path)
    return path


def phase04(ref: Tree, path: Path) -> Path:
    """Accuracy by length: phase 2's seq2seq, phase 4's attention, phase 5's transformer (phase 10's
    attention_story), small models trained on lengths 4..10."""
    story = ref.load("phase10_blog_writing.length_story")
    lengths = range(4, 11)
    series = story.length_series(story.train_decoders(steps=1500, seed=0, lengths=lengths), range(4, 17), n=300, seed=1)
    story.plot_length_series(series, path, trained_on=lengths)
    return path


def phase05(ref: Tree, path: Path) -> Path:
    """Sinusoidal positions: each pair of columns turns at its own wavelength, from 2 pi to 10,000 x 2 pi."""
    layers = ref.load("phase05_transformer.layers")
    pe = layers.sinusoidal_positional_encoding(64, 64)
    plt = _plt()
    fig, (table, dots) = plt.subplots(1, 2, figsize=(9, 3.4), gridspec_kw={"width_ratios": [1.3, 1]})
    image = table.imshow(pe, cmap="RdBu", aspect="auto", vmin=-1, vmax=1)
    table.set_xlabel("column (even: sin, odd: cos)")
    table.set_ylabel("position")
    table.set_title("PE[pos, :] for 64 positions, d = 64", fontsize=9)
    fig.colorbar(image, ax=table, fraction=0.046)
    similarity = pe @ pe[20] / (np.linalg.norm(pe, axis=1) * np.linalg.norm(pe[20]))
    dots.plot(range(64), similarity, color="tab:purple")
    dots.axvline(20, color="grey", lw=0.8)
    dots.set_xlabel("position")
    dots.set_ylabel("cosine with position 20")
    dots.grid(alpha=0.3)
    dots.set_title("nearby positions look alike", fontsize=9)
    return _save(fig, path)


def phase06(ref: Tree, path: Path) -> Path:
    """The same GELU in NumPy (phase 5) and PyTorch (phase 6): what differs is the dtype's precision."""
    import torch

    numpy_gelu = ref.load("phase05_transformer.layers").gelu
    torch_gelu = ref.load("phase06_pytorch_transition.layers").GELU()
    x = np.linspace(-6, 6, 2001)
    exact = numpy_gelu(x)
    plt = _plt()
    fig, (curve, error) = plt.subplots(1, 2, figsize=(9, 3.3))
    curve.plot(x, exact, color="tab:blue", label="GELU(x) = x Phi(x)")
    curve.plot(x, np.maximum(0, x), "--", color="grey", lw=0.8, label="ReLU")
    curve.legend(fontsize=8)
    curve.grid(alpha=0.3)
    curve.set_title("phase 5's NumPy GELU", fontsize=9)
    for dtype, colour in ((torch.float64, "tab:green"), (torch.float32, "tab:orange")):
        got = torch_gelu(torch.tensor(x, dtype=dtype)).double().numpy()
        error.semilogy(x, np.abs(got - exact) + 1e-20, ".", ms=1.5, color=colour,
                       label=f"{str(dtype).removeprefix('torch.')}: largest {np.max(np.abs(got - exact)):.1e}")
    error.set_ylim(1e-19, 1e-5)
    error.set_xlabel("x")
    error.set_title("|phase 6's torch GELU - phase 5's| (1e-20 where equal)", fontsize=9)
    error.legend(fontsize=8, markerscale=6)
    return _save(fig, path)


def phase07(ref: Tree, path: Path) -> Path:
    """GPT-2 Small's parameters by component (phase 10's parameter_breakdown)."""
    model = ref.load("phase07_gpt_architecture.model")
    figure = ref.load("phase10_blog_writing.param_breakdown")
    figure.plot_breakdown(figure.table_by_component(model.GPTConfig()), path)
    return path


def phase08(ref: Tree, path: Path) -> Path:
    """The smoke tier: the reference run's validation loss, and the schedule it trained under."""
    from grading.capstone import tiers
    from grading.capstone.plot import reference_curve

    schedule = ref.load("phase08_training_gpt.schedule")
    tier = tiers.load()["smoke"]
    train = tier.train
    curve = reference_curve("smoke")
    plt = _plt()
    fig, (loss, lr) = plt.subplots(1, 2, figsize=(9, 3.3))
    loss.plot([p["cpu_s"] for p in curve["points"]], [p["val_loss"] for p in curve["points"]], "o-", ms=3,
              label="reference validation loss")
    loss.axhline(curve["target"], color="black", lw=0.8, label=f"target {curve['target']:g}")
    loss.axvline(curve["budget_s"], color="tab:orange", lw=0.8, label=f"budget {curve['budget_s']:g} s of CPU")
    loss.set_xlabel("CPU seconds of the trainer")
    loss.set_ylabel("loss (nats per character)")
    loss.legend(fontsize=7)
    loss.grid(alpha=0.3)
    loss.set_title(f"capstone smoke tier, reference run ({curve['hardware']})", fontsize=9)
    steps = range(train["max_steps"] + 1)
    lr.plot(steps, [schedule.learning_rate(s, train["lr"], train["min_lr"], train["warmup_steps"], train["max_steps"])
                    for s in steps], color="tab:orange")
    lr.set_xlabel("step")
    lr.set_ylabel("learning rate")
    lr.grid(alpha=0.3)
    lr.set_title(f"warm-up {train['warmup_steps']} steps, cosine to {train['min_lr']:g}", fontsize=9)
    return _save(fig, path)


def phase09(ref: Tree, path: Path) -> Path:
    """LLaMA 2 70B's KV cache against context length: 64 key-value heads, 8 (its GQA) or 1 (MQA)."""
    gqa = ref.load("phase09_modern_developments.gqa")
    contexts = np.array([512, 1024, 2048, 4096, 8192, 16384, 32768])
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for kv_heads, label in ((64, "multi-head (64 KV heads)"), (8, "grouped-query (8), as LLaMA 2 70B"),
                            (1, "multi-query (1)")):
        gib = [gqa.kv_cache_bytes(80, kv_heads, 128, int(T)) / 2 ** 30 for T in contexts]
        ax.loglog(contexts, gib, "o-", ms=4, label=label, base=2)
    ax.axhline(80, color="grey", lw=0.8, ls="--", label="one 80 GB GPU's memory")
    ax.set_xlabel("context length (tokens), batch 1, bf16")
    ax.set_ylabel("KV cache (GiB)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    ax.set_title("80 layers x 2 (keys, values) x KV heads x 128 x tokens x 2 bytes", fontsize=9)
    return _save(fig, path)


NOTES_FIGURES = {0: ("phase00_gradient_descent.png", phase00), 1: ("phase01_xor.png", phase01),
                 2: ("phase02_gradients_through_time.png", phase02), 3: ("phase03_word_vectors.png", phase03),
                 4: ("phase04_accuracy_by_length.png", phase04), 5: ("phase05_positions.png", phase05),
                 6: ("phase06_gelu_precision.png", phase06), 7: ("phase07_parameters.png", phase07),
                 8: ("phase08_smoke_run.png", phase08), 9: ("phase09_kv_cache.png", phase09)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading.figures", description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase", type=int, choices=sorted(NOTES_FIGURES), help="draw only this phase's figure")
    args = parser.parse_args(argv)
    FIGURES.mkdir(parents=True, exist_ok=True)
    ref = Tree("solutions")
    for phase, (name, draw) in NOTES_FIGURES.items():
        if args.phase is None or args.phase == phase:
            out = draw(ref, FIGURES / name)
            print(f"{out.relative_to(ROOT)}: {math.ceil(out.stat().st_size / 1024)} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
