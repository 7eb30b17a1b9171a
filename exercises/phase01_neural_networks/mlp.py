"""Neuron, layer and multi-layer perceptron built from scalar Values: backprop for free, one number at a time."""
import numpy as np

from .autograd import Value


class Neuron:
    """tanh(w . x + b) (or w . x + b when nonlin=False); weights drawn from U(-1, 1) with `rng`, bias 0."""

    def __init__(self, nin: int, rng: np.random.Generator, nonlin: bool = True):
        self.w = [Value(float(v)) for v in rng.uniform(-1, 1, size=nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x: list) -> Value:
        """x: a list of nin numbers or Values -> one Value."""
        raise NotImplementedError("__call__ is not written yet (exercise 'mlp'; hints: make hint ex=mlp)")

    def parameters(self) -> list[Value]:
        """The weights then the bias."""
        raise NotImplementedError("parameters is not written yet (exercise 'mlp'; hints: make hint ex=mlp)")


class Layer:
    """nout independent neurons reading the same nin inputs."""

    def __init__(self, nin: int, nout: int, rng: np.random.Generator, nonlin: bool = True):
        self.neurons = [Neuron(nin, rng, nonlin) for _ in range(nout)]

    def __call__(self, x: list) -> list[Value]:
        """x: nin numbers or Values -> a list of nout Values."""
        raise NotImplementedError("__call__ is not written yet (exercise 'mlp'; hints: make hint ex=mlp)")

    def parameters(self) -> list[Value]:
        """Every neuron's parameters, neuron by neuron."""
        raise NotImplementedError("parameters is not written yet (exercise 'mlp'; hints: make hint ex=mlp)")


class MLP:
    """Layers of sizes nin -> nouts[0] -> ... -> nouts[-1]; tanh on every layer but the last (linear)."""

    def __init__(self, nin: int, nouts: list[int], rng: np.random.Generator):
        sizes = [nin] + list(nouts)
        self.layers = [Layer(sizes[i], sizes[i + 1], rng, nonlin=i < len(nouts) - 1) for i in range(len(nouts))]

    def __call__(self, x: list) -> list[Value]:
        """x: nin numbers or Values -> a list of nouts[-1] Values."""
        raise NotImplementedError("__call__ is not written yet (exercise 'mlp'; hints: make hint ex=mlp)")

    def parameters(self) -> list[Value]:
        """Every layer's parameters, layer by layer."""
        raise NotImplementedError("parameters is not written yet (exercise 'mlp'; hints: make hint ex=mlp)")

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0
