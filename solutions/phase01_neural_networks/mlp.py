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
        # BEGIN SOLUTION
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh() if self.nonlin else act
        # END SOLUTION

    def parameters(self) -> list[Value]:
        """The weights then the bias."""
        # BEGIN SOLUTION
        return self.w + [self.b]
        # END SOLUTION


class Layer:
    """nout independent neurons reading the same nin inputs."""

    def __init__(self, nin: int, nout: int, rng: np.random.Generator, nonlin: bool = True):
        self.neurons = [Neuron(nin, rng, nonlin) for _ in range(nout)]

    def __call__(self, x: list) -> list[Value]:
        """x: nin numbers or Values -> a list of nout Values."""
        # BEGIN SOLUTION
        return [n(x) for n in self.neurons]
        # END SOLUTION

    def parameters(self) -> list[Value]:
        """Every neuron's parameters, neuron by neuron."""
        # BEGIN SOLUTION
        return [p for n in self.neurons for p in n.parameters()]
        # END SOLUTION


class MLP:
    """Layers of sizes nin -> nouts[0] -> ... -> nouts[-1]; tanh on every layer but the last (linear)."""

    def __init__(self, nin: int, nouts: list[int], rng: np.random.Generator):
        sizes = [nin] + list(nouts)
        self.layers = [Layer(sizes[i], sizes[i + 1], rng, nonlin=i < len(nouts) - 1) for i in range(len(nouts))]

    def __call__(self, x: list) -> list[Value]:
        """x: nin numbers or Values -> a list of nouts[-1] Values."""
        # BEGIN SOLUTION
        for layer in self.layers:
            x = layer(x)
        return x
        # END SOLUTION

    def parameters(self) -> list[Value]:
        """Every layer's parameters, layer by layer."""
        # BEGIN SOLUTION
        return [p for layer in self.layers for p in layer.parameters()]
        # END SOLUTION

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0
