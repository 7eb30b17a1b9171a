"""Checks for phase08_training_gpt/sampler.py: windows drawn from (seed, position), never across shard ends."""
import json

import numpy as np
import torch

from checks.helpers import assert_close, expect, fail

T = 16


def random_shards(rng, lengths=(50, T + 1, 5, 200, T + 3)):
    return [rng.integers(0, 65535, size=n).astype(np.uint16) for n in lengths]


def counting_shards(tmp_path, lengths):
    """Memory-mapped shards whose tokens count up by one inside a shard and jump by 1000 between shards."""
    shards, meta = [], {"splits": {"train": {"shards": []}}}
    for k, n in enumerate(lengths):
        path = tmp_path / f"train_{k:03d}.bin"
        np.arange(k * 1000, k * 1000 + n, dtype=np.uint16).tofile(path)
        meta["splits"]["train"]["shards"].append({"file": path.name, "tokens": n})
        shards.append(np.memmap(path, dtype=np.uint16, mode="r"))
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    return shards


def test_matches_reference(impl, ref, seed, rng):
    shards = random_shards(rng)
    mine, theirs = impl.BatchSampler(shards, 8, T, seed=seed), ref.BatchSampler(shards, 8, T, seed=seed)
    for position in (0, 1, 7, 1000):
        expect(list(map(tuple, mine.window_starts(position))) == list(map(tuple, theirs.window_starts(position))),
               f"window_starts({position}) = {mine.window_starts(position)}, expected {theirs.window_starts(position)}",
               mistake="draw rng = np.random.default_rng([seed, position]); g = rng.integers(0, sum(windows), size=B); "
                       "then map each g to (shard, offset)")
        x, y = mine.batch_at(position)
        ex, ey = theirs.batch_at(position)
        assert_close(x, ex, f"x of batch_at({position})")
        assert_close(y, ey, f"y of batch_at({position})", mistake="y is x shifted by one token: window[1:]")


def test_windows_stay_inside_one_shard(impl, seed, tmp_path):
    lengths = [40, T + 1, 7, T + 2, 90]        # the 7-token shard holds no window at all
    shards = counting_shards(tmp_path, lengths)
    sampler = impl.BatchSampler(shards, 32, T, seed=seed)
    for position in range(30):
        x, y = sampler.batch_at(position)
        expect(isinstance(x, torch.Tensor) and x.dtype == torch.int64 and tuple(x.shape) == (32, T),
               f"batch_at({position}) x: expected an int64 tensor of shape (32, {T}), got "
               f"{getattr(x, 'dtype', type(x))} {tuple(getattr(x, 'shape', ()))}")
        expect(tuple(y.shape) == (32, T), f"batch_at({position}) y has shape {tuple(y.shape)}, expected (32, {T})")
        assert_close(y[:, :-1], x[:, 1:], f"y[:, :-1] against x[:, 1:] in batch_at({position})",
                     mistake="x = window[:-1], y = window[1:] of ONE window of block_size + 1 tokens")
        window = torch.cat([x, y[:, -1:]], dim=1)
        steps = window[:, 1:] - window[:, :-1]
        bad = (steps != 1).any(dim=1)
        if bad.any():
            fail(f"batch_at({position}) row {int(bad.nonzero()[0])} runs across the end of a shard "
                 f"(tokens {window[bad][0].tolist()})",
                 mistake="a window of shard s starts at 0 .. len(shard) - block_size - 1; never concatenate shards")
        shard_of = (window[:, 0] // 1000).tolist()
        expect(2 not in shard_of, "a window was taken from a shard shorter than block_size + 1 tokens")


def test_every_window_equally_likely(impl, seed, tmp_path):
    """Shards of T + 1 and T + 3 tokens hold 1 and 3 windows: each of the 4 should come up a quarter of the time."""
    shards = counting_shards(tmp_path, [T + 1, T + 3])
    sampler = impl.BatchSampler(shards, 100, T, seed=seed)
    starts = torch.cat([sampler.batch_at(p)[0][:, 0] for p in range(40)]).tolist()
    counts = {s: starts.count(s) for s in (0, 1000, 1001, 1002)}
    n = len(starts)
    expect(sum(counts.values()) == n, f"windows started at tokens {sorted(set(starts) - set(counts))}, which no "
           f"window of block_size + 1 tokens can start at")
    # 4000 draws: each count is 1000 +- 27 (one standard deviation); 850..1150 is more than 5 of them.
    expect(all(850 <= c <= 1150 for c in counts.values()),
           f"over {n} windows the four possible starts came up {list(counts.values())} times, expected about "
           f"{n // 4} each", mistake="draw uniformly over ALL windows (not a shard first, then an offset), and "
                                     "include the last start len(shard) - block_size - 1")


def test_deterministic_given_seed_and_position(impl, seed, rng):
    shards = random_shards(rng)
    a, b = impl.BatchSampler(shards, 4, T, seed=seed), impl.BatchSampler(shards, 4, T, seed=seed)
    np.random.seed((seed + 1) % 2**32)
    torch.manual_seed(seed + 2)
    assert_close(a.batch_at(5)[0], b.batch_at(5)[0], "batch_at(5) of two samplers with the same seed",
                 mistake="randomness must come only from np.random.default_rng([seed, position])")
    expect(not torch.equal(a.batch_at(0)[0], a.batch_at(1)[0]), "batch_at(0) and batch_at(1) are identical: "
           "does the generator ignore the position?")
    other = impl.BatchSampler(shards, 4, T, seed=seed + 1)
    expect(not torch.equal(a.batch_at(3)[0], other.batch_at(3)[0]), "samplers with different seeds gave the same batch")
    first = [a.next_batch()[0] for _ in range(3)]
    resumed = impl.BatchSampler(shards, 4, T, seed=0)
    resumed.load_state_dict(a.state_dict())
    assert_close(resumed.next_batch()[0], b.batch_at(3)[0], "next_batch() after load_state_dict at position 3")
    assert_close(first[2], b.batch_at(2)[0], "the third next_batch() against batch_at(2)")
