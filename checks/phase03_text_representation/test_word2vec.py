"""Checks for phase03_text_representation/word2vec.py: pairs, loss and gradients, training, neighbours."""
import numpy as np

from checks.helpers import assert_close, expect

GROUPS, SIZE = 5, 8


def planted_corpus(rng, sentences=300, length=8):
    """Each sentence draws its words from one group of SIZE ids: words of a group share every context."""
    ids = []
    for _ in range(sentences):
        group = rng.integers(GROUPS)
        ids.extend(group * SIZE + rng.integers(SIZE, size=length))
    return np.array(ids)


def test_skipgram_pairs_known_value(impl):
    centres, contexts = impl.skipgram_pairs([7, 8, 9], 1)
    expect(list(centres) == [7, 8, 8, 9] and list(contexts) == [8, 7, 9, 8],
           f"skipgram_pairs([7, 8, 9], 1) gave centres {list(centres)}, contexts {list(contexts)}; "
           "expected centres [7, 8, 8, 9], contexts [8, 7, 9, 8]")
    centres, contexts = impl.skipgram_pairs([1, 2, 3, 4], 2)
    expect(len(centres) == 10, f"skipgram_pairs(4 ids, window 2) gave {len(centres)} pairs, expected 10 (2 + 3 + 3 + 2)",
           mistake="a window of 2 reaches 2 positions to each side, clipped at the ends")


def test_noise_distribution(impl):
    got = impl.noise_distribution(np.array([16.0, 1.0, 0.0]))
    assert_close(got, np.array([8.0, 1.0, 0.0]) / 9.0, "noise_distribution([16, 1, 0])",
                 mistake="counts ** 0.75, then divide by the sum (16 ** 0.75 = 8)")


def _batch(rng, V=7, D=4, B=5, K=3):
    W_in, W_out = rng.normal(size=(V, D)), rng.normal(size=(V, D))
    centres, contexts = rng.integers(0, V, size=B), rng.integers(0, V, size=B)
    negatives = rng.integers(0, V, size=(B, K))
    centres[1] = centres[0]              # repeated ids must accumulate
    negatives[0, 0] = contexts[0]
    return W_in, W_out, centres, contexts, negatives


def test_loss_known_value(impl):
    """All vectors zero: every score is 0, sigma(0) = 1/2, so the loss is (1 + K) ln 2."""
    W = np.zeros((4, 3))
    loss, dW_in, dW_out = impl.sgns_loss_and_grads(W, W.copy(), np.array([0, 1]), np.array([2, 3]), np.array([[1, 2], [0, 3]]))
    assert_close(loss, 3 * np.log(2.0), "sgns_loss_and_grads(zeros) loss with K = 2 negatives (3 ln 2)",
                 mistake="loss = mean over the batch of -log sigma(pos) - sum_k log sigma(-neg_k)")


def test_gradients_match_numerical_gradient(impl, ref_tree, rng):
    numerical_gradient = ref_tree.load("phase00_math.calculus").numerical_gradient
    W_in, W_out, centres, contexts, negatives = _batch(rng)
    loss, dW_in, dW_out = impl.sgns_loss_and_grads(W_in, W_out, centres, contexts, negatives)
    f_in = lambda w: impl.sgns_loss_and_grads(w, W_out, centres, contexts, negatives)[0]  # noqa: E731
    f_out = lambda w: impl.sgns_loss_and_grads(W_in, w, centres, contexts, negatives)[0]  # noqa: E731
    assert_close(dW_in, numerical_gradient(f_in, W_in.copy()), "dW_in from sgns_loss_and_grads against central differences",
                 rtol=1e-4, atol=1e-7, mistake="repeated centre ids must accumulate (np.add.at)")
    assert_close(dW_out, numerical_gradient(f_out, W_out.copy()), "dW_out from sgns_loss_and_grads against central differences",
                 rtol=1e-4, atol=1e-7, mistake="the contexts and the negatives both write into W_out, and a word can be both")


def test_loss_matches_reference(impl, ref, rng):
    W_in, W_out, centres, contexts, negatives = _batch(rng, V=11, D=6, B=9, K=4)
    W_in *= 5  # large scores: -log sigma must not overflow
    got = impl.sgns_loss_and_grads(W_in, W_out, centres, contexts, negatives)
    expected = ref.sgns_loss_and_grads(W_in, W_out, centres, contexts, negatives)
    for g, e, name in zip(got, expected, ("loss", "dW_in", "dW_out")):
        assert_close(g, e, f"{name} from sgns_loss_and_grads(W_in, W_out, centres, contexts, negatives)", rtol=1e-6, atol=1e-9)


def test_loss_with_large_scores(impl, ref, rng):
    """Scores in the hundreds, of both signs: -log sigma(x) = log(1 + exp(-x)) must not overflow or hit log(0)."""
    W_in, W_out, centres, contexts, negatives = _batch(rng, V=11, D=6, B=9, K=4)
    W_in, W_out = 20 * W_in, 20 * W_out
    with np.errstate(over="ignore"):     # 1 / (1 + exp(-x)) overflows harmlessly to 1 / inf = 0 in the gradient
        expected = ref.sgns_loss_and_grads(W_in, W_out, centres, contexts, negatives)
        got = impl.sgns_loss_and_grads(W_in, W_out, centres, contexts, negatives)
    for g, e, name in zip(got, expected, ("loss", "dW_in", "dW_out")):
        assert_close(g, e, f"{name} from sgns_loss_and_grads with scores in the hundreds", rtol=1e-6, atol=1e-9,
                     mistake="-log(sigmoid(x)) is log(0) = -inf once exp(-x) overflows: use np.logaddexp(0, -x)")


def test_negatives_follow_the_three_quarter_power(impl, rng, monkeypatch):
    """On a Zipfian corpus (the count of word r proportional to 1/r) counts^0.75 differs from the raw counts and
    from uniform by far more than sampling noise: the negatives train_word2vec draws must follow counts^0.75."""
    V = 20
    p_word = 1.0 / np.arange(1, V + 1)
    ids = rng.choice(V, size=2000, p=p_word / p_word.sum())
    counts = np.bincount(ids, minlength=V).astype(np.float64)
    seen = []

    def recording(W_in, W_out, centres, contexts, negatives):
        seen.append(np.asarray(negatives).ravel().copy())
        return original(W_in, W_out, centres, contexts, negatives)

    original = impl.sgns_loss_and_grads
    monkeypatch.setattr(impl, "sgns_loss_and_grads", recording)
    impl.train_word2vec(ids, V, dim=8, window=2, negatives=5, epochs=1, rng=rng)
    monkeypatch.undo()
    expect(seen, "train_word2vec never called sgns_loss_and_grads", mistake="score each minibatch with sgns_loss_and_grads")
    drawn = np.concatenate(seen)
    expected = counts ** 0.75 / np.sum(counts ** 0.75)
    tolerance = 6 * np.sqrt(expected * (1 - expected) / len(drawn)) + 2e-3
    for name, other in (("the raw counts", counts / counts.sum()), ("uniform", np.full(V, 1.0 / V))):
        expect(np.max(np.abs(other - expected) - tolerance) > 0.02,
               f"precondition of this check: counts^0.75 and {name} must differ on its corpus")
    freq = np.bincount(drawn, minlength=V) / len(drawn)
    worst = int(np.argmax(np.abs(freq - expected) - tolerance))
    expect(np.all(np.abs(freq - expected) < tolerance),
           f"over {len(drawn)} negatives the most frequent word was drawn {freq[0]:.3f} of the time, expected "
           f"{expected[0]:.3f} from counts^0.75 (raw counts give {counts[0] / counts.sum():.3f}, uniform {1 / V:.3f}); "
           f"worst: word {worst} at {freq[worst]:.3f} against {expected[worst]:.3f}",
           mistake="draw negatives with p = noise_distribution(counts of the corpus), the counts raised to 3/4")


def test_nearest_neighbours_with_an_unused_word(impl):
    """A fixed corner case: a word never trained keeps a zero row; its cosine with anything is taken as 0."""
    W = np.array([[1.0, 0.0], [0.0, 0.0], [-1.0, 0.2], [0.8, 0.6]])
    got = list(impl.nearest_neighbours(W, 0, 3))
    expect(got == [3, 1, 2], f"nearest_neighbours(W, 0, 3) with a zero row 1 gave {got}, expected [3, 1, 2] "
           "(cosines 0.8, 0 for the zero row, -0.98)",
           mistake="dividing by a zero norm gives NaN: divide by np.maximum(norm, 1e-12) so a zero row has cosine 0")


def test_nearest_neighbours_known_value(impl):
    W = np.array([[1.0, 0.0], [2.0, 1.0], [0.0, 1.0], [-1.0, 0.1], [3.0, 3.0]])  # cosines 0.89, 0, -0.99, 0.71
    got = list(impl.nearest_neighbours(W, 0, 3))
    expect(got == [1, 4, 2], f"nearest_neighbours(W, 0, 3) gave {got}, expected [1, 4, 2]",
           mistake="cosine similarity divides by both norms (a long vector is not closer); exclude the query itself")


def test_training_recovers_planted_groups(impl, rng):
    ids = planted_corpus(rng)
    W, losses = impl.train_word2vec(ids, GROUPS * SIZE, dim=16, window=2, negatives=5, epochs=3, rng=rng)
    expect(np.shape(W) == (GROUPS * SIZE, 16), f"train_word2vec returned W of shape {np.shape(W)}, expected (40, 16)")
    expect(np.mean(losses[-10:]) < 0.8 * np.mean(losses[:5]),
           f"the loss fell only from {np.mean(losses[:5]):.3f} to {np.mean(losses[-10:]):.3f} over training",
           mistake="step against the gradient: W -= lr * dW")
    precision = np.mean([np.mean(impl.nearest_neighbours(W, q, SIZE - 1) // SIZE == q // SIZE)
                         for q in range(GROUPS * SIZE)])
    expect(precision > 0.8, f"only {precision:.0%} of each word's {SIZE - 1} nearest neighbours are in its planted group "
           "(a trained model gets nearly 100%, chance is 18%)")


def compare_inputs(rng):
    W_in, W_out, centres, contexts, negatives = _batch(rng)
    return [("skipgram_pairs([3, 1, 4, 1, 5], 2)", "skipgram_pairs", ([3, 1, 4, 1, 5], 2), {}),
            ("sgns_loss_and_grads(W_in, W_out, centres, contexts, negatives)", "sgns_loss_and_grads",
             (W_in, W_out, centres, contexts, negatives), {}),
            ("nearest_neighbours(W_in, 0, 3)", "nearest_neighbours", (W_in, 0, 3), {})]
