"""Shared by phase 2's checks: gradients of sum(output * weights) by central differences."""
import numpy as np


def numerical(ref_tree, f, x):
    """d f / d x by the reference numerical_gradient of phase 0 (f takes an array shaped like x)."""
    return ref_tree.load("phase00_math.calculus").numerical_gradient(f, np.array(x, dtype=np.float64), eps=1e-6)
