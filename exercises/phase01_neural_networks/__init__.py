"""Phase 1: neural networks from the perceptron to backpropagation, in NumPy."""
