"""A scalar autograd engine: every number remembers how it was made, so the chain rule can run backwards.

Each operation returns a new Value holding its inputs (`_prev`) and a `_backward` closure that adds
out.grad x (local derivative) into each input's grad. `backward()` orders the graph so that a node's
gradient is complete before it is passed on, then runs the closures from the output back.
"""
import math


class Value:
    """A scalar with a gradient: .data (float), .grad (d output / d this, filled by backward())."""

    def __init__(self, data: float, _prev: tuple = (), _op: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = _prev
        self._op = _op
        self._backward = lambda: None

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def _lift(other) -> "Value":
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other) -> "Value":
        """d(a + b)/da = 1, d(a + b)/db = 1."""
        raise NotImplementedError("__add__ is not written yet (exercise 'autograd'; hints: make hint ex=autograd)")

    def __mul__(self, other) -> "Value":
        """d(a b)/da = b, d(a b)/db = a."""
        raise NotImplementedError("__mul__ is not written yet (exercise 'autograd'; hints: make hint ex=autograd)")

    def __pow__(self, exponent: float) -> "Value":
        """a ** k for a plain number k: d(a^k)/da = k a^(k-1)."""
        raise NotImplementedError("__pow__ is not written yet (exercise 'autograd'; hints: make hint ex=autograd)")

    def tanh(self) -> "Value":
        """d tanh(a)/da = 1 - tanh(a)^2."""
        raise NotImplementedError("tanh is not written yet (exercise 'autograd'; hints: make hint ex=autograd)")

    def relu(self) -> "Value":
        """max(0, a); its derivative is 1 where a > 0 and 0 elsewhere."""
        raise NotImplementedError("relu is not written yet (exercise 'autograd'; hints: make hint ex=autograd)")

    def exp(self) -> "Value":
        """d exp(a)/da = exp(a)."""
        raise NotImplementedError("exp is not written yet (exercise 'autograd'; hints: make hint ex=autograd)")

    def log(self) -> "Value":
        """Natural log: d log(a)/da = 1 / a."""
        raise NotImplementedError("log is not written yet (exercise 'autograd'; hints: make hint ex=autograd)")

    def backward(self) -> None:
        """Fill .grad of every Value this one depends on with d self / d that Value.

        Set self.grad = 1, sort the graph topologically (every node after all the nodes it was made from),
        then call each node's _backward in reverse order, so that a node's grad is complete when it is used.
        """
        raise NotImplementedError("backward is not written yet (exercise 'autograd'; hints: make hint ex=autograd)")

    # The rest follow from the operations above.
    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * Value._lift(other) ** -1

    def __rtruediv__(self, other):
        return other * self ** -1
