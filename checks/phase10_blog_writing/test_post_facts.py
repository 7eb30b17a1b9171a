"""Checks for phase10_blog_writing/post_facts.py: the numbers a text quotes, whether each agrees with a result as
rounded, and which a post quotes without support."""
from checks.helpers import expect

TEXT = ("GPT-2 Small has 124,439,808 parameters. My run reached 2.02 nats in 1,958 s; attention got 94.6% at length 16"
        " (phase 4, lr 1e-5, 2.4x faster, x2). `loss = 3.14` and\n```python\nprint(2.71828)\n```\nIn 2019, 0.5 of it.")


def test_numbers_in(impl):
    got = impl.numbers_in(TEXT)
    expected = ["124,439,808", "2.02", "1,958", "94.6%", "16", "4", "2019", "0.5"]
    expect(got == expected, f"numbers_in(a post) gave {got}, expected {expected}",
           mistake="skip code (fenced and inline); GPT-2, 1e-5, 2.4x and x2 quote no number; keep commas and %")


def test_agrees(impl):
    cases = [("2.02", 2.0228, True), ("2.03", 2.0228, False), ("2.0228", 2.0228, True), ("2", 2.4, True),
             ("124,439,808", 124_439_808, True), ("124,439,808", 124_439_809, False), ("94.6%", 0.9462, True),
             ("94.6%", 94.6, False), ("95%", 0.9462, True), ("0.50", 0.5, True), ("1.5", 1.45, False)]
    for shown, value, verdict in cases:
        got = impl.agrees(shown, value)
        expect(got == verdict, f"agrees({shown!r}, {value!r}) is {got}, expected {verdict}",
               mistake="round the value to the decimals shown (100 x value for a percentage), then compare")


def test_unsupported(impl, ref):
    facts = {"params": 124_439_808, "loss": 2.0228, "seconds": 1958.4, "acc": 0.9462, "name": "smoke", "ok": True}
    got = impl.unsupported(TEXT, facts, given=[2019])
    expect(got == ["0.5"], f"unsupported(post, facts, given=[2019]) gave {got}, expected ['0.5']",
           mistake="a number is supported by any fact or given number it agrees with; whole numbers below 100 are exempt")
    expect(impl.unsupported(TEXT, facts) == ref.unsupported(TEXT, facts) == ["2019", "0.5"],
           f"unsupported(post, facts) gave {impl.unsupported(TEXT, facts)}, expected ['2019', '0.5']")
    expect(impl.unsupported("loss 1.00 and 1", {"flag": True}) == ["1.00"],
           "unsupported('loss 1.00 and 1', {'flag': True}): a boolean is no number (True agrees with no 1.00)")
