"""Checks for phase08_training_gpt/schedule.py: linear warm-up, cosine decay, floor."""
import math

from checks.helpers import assert_close, expect

WHY = "warm-up max_lr*(step+1)/warmup_steps for step < warmup_steps; then min_lr + 0.5*(1+cos(pi*progress))*(max_lr-min_lr)"


def test_known_values(impl):
    """max_lr 1, min_lr 0.1, 10 warm-up steps, 110 steps: values worked out by hand."""
    lr = lambda step: impl.learning_rate(step, 1.0, 0.1, 10, 110)  # noqa: E731
    cases = [
        (0, 0.1, "the first step runs at max_lr / warmup_steps, not 0"),
        (4, 0.5, "warm-up is linear: step 4 of 10 is at 5/10"),
        (9, 1.0, "the last warm-up step (warmup_steps - 1) reaches max_lr"),
        (10, 1.0, "decay starts at max_lr at step warmup_steps"),
        (35, 0.1 + 0.45 * (1 + math.sqrt(0.5)), "a quarter of the way: cos(pi/4) = sqrt(1/2)"),
        (60, 0.55, "half way through the decay the rate is (max_lr + min_lr) / 2"),
        (110, 0.1, "the decay ends at min_lr at max_steps"),
        (500, 0.1, "after max_steps the rate stays at min_lr"),
    ]
    for step, expected, why in cases:
        assert_close(lr(step), expected, f"learning_rate({step}, max_lr=1.0, min_lr=0.1, warmup_steps=10, max_steps=110)",
                     rtol=1e-9, atol=1e-12, mistake=why)


def test_shape_of_the_curve(impl, rng):
    warmup = int(rng.integers(2, 50))
    max_steps = warmup + int(rng.integers(10, 500))
    max_lr = float(rng.uniform(1e-4, 1e-2))
    min_lr = max_lr * float(rng.uniform(0.0, 0.5))
    where = f"learning_rate(step, {max_lr:.3g}, {min_lr:.3g}, warmup_steps={warmup}, max_steps={max_steps})"
    values = [impl.learning_rate(s, max_lr, min_lr, warmup, max_steps) for s in range(max_steps + 20)]
    expect(all(isinstance(v, float) for v in values), f"{where} must return Python floats")
    expect(all(b > a for a, b in zip(values[:warmup - 1], values[1:warmup])), f"{where} must rise during warm-up")
    expect(all(b <= a + 1e-15 for a, b in zip(values[warmup - 1:], values[warmup:])),
           f"{where} must never rise after warm-up", mistake=WHY)
    after = values[warmup:]
    expect(max(values) <= max_lr * (1 + 1e-12) and min(after) >= min_lr * (1 - 1e-12) and values[0] > 0,
           f"{where} ranges over [{min(values):.4g}, {max(values):.4g}] (after warm-up [{min(after):.4g}, "
           f"{max(after):.4g}]): expected (0, max_lr] during warm-up and [min_lr, max_lr] after",
           mistake="warm-up covers steps 0 .. warmup_steps - 1 only (step < warmup_steps)")
    assert_close(values[warmup], max_lr, f"{where} at step warmup_steps", rtol=1e-9)
    assert_close(values[max_steps], min_lr, f"{where} at step max_steps", rtol=1e-9, atol=1e-15)


def test_no_warmup(impl):
    assert_close(impl.learning_rate(0, 2.0, 0.5, 0, 100), 2.0, "learning_rate(0, 2.0, 0.5, warmup_steps=0, max_steps=100)",
                 mistake="warmup_steps = 0 means the cosine starts right away at max_lr (and no division by zero)")
    assert_close(impl.learning_rate(100, 2.0, 0.5, 0, 100), 0.5, "learning_rate(100, 2.0, 0.5, 0, 100)")


def test_no_decay_when_max_steps_equals_warmup(impl, ref):
    """A fixed corner case: max_steps == warmup_steps means warm-up, then max_lr until max_steps, then min_lr."""
    for step, expected in ((0, 0.1), (9, 1.0), (10, 1.0), (11, 0.1), (50, 0.1)):
        assert_close(impl.learning_rate(step, 1.0, 0.1, 10, 10), expected,
                     f"learning_rate({step}, max_lr=1.0, min_lr=0.1, warmup_steps=10, max_steps=10)", rtol=1e-12,
                     mistake="max_steps == warmup_steps leaves no decay: (step - warmup) / (max_steps - warmup) "
                     "divides by zero; return max_lr for step == max_steps")


def test_matches_reference(impl, ref, rng):
    for _ in range(50):
        warmup = int(rng.integers(0, 30))
        max_steps = warmup + int(rng.integers(1, 300))
        step = int(rng.integers(0, max_steps + 30))
        args = (step, 6e-4, 6e-5, warmup, max_steps)
        assert_close(impl.learning_rate(*args), ref.learning_rate(*args), f"learning_rate{args}", rtol=1e-9, mistake=WHY)


def compare_inputs(rng):
    return [(f"learning_rate({s}, 6e-4, 6e-5, 100, 2000)", "learning_rate", (s, 6e-4, 6e-5, 100, 2000), {})
            for s in (0, 50, 99, 100, 1000, 2000, 2500)]
