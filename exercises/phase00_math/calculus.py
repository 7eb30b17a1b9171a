"""Derivatives by central differences: the ground truth every backward pass in this workbook is checked against."""
import numpy as np


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Gradient of the scalar function f at x, same shape as x.

    df/dx_i ~= (f(x + eps e_i) - f(x - eps e_i)) / (2 eps): the error is O(eps^2), against O(eps) one-sided.
    `x` is restored to its original values before returning.
    """
    raise NotImplementedError("numerical_gradient is not written yet (exercise 'numerical_gradient'; hints: make hint ex=numerical_gradient)")
