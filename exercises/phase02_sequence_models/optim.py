"""Adam (Kingma and Ba 2015) in NumPy: the optimiser every NumPy training in this workbook uses (phases 2, 4, 5).

Per parameter, with gradient g at step t (counted from 1):
    m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2                  running mean and mean square of g
    m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)                   bias correction: m and v start at 0
    param -= lr m_hat / (sqrt(v_hat) + eps)
Each parameter moves by about lr whatever the scale of its gradient.
"""
import numpy as np


def adam_step(params: dict, grads: dict, state: dict, lr: float, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
    """One Adam step, in place: params[name] (any shape) is updated for every name in grads.

    state starts as {} and keeps the step count state["t"] and each parameter's moments state["m_" + name],
    state["v_" + name] (arrays shaped like the parameter) between calls. Returns None.
    """
    raise NotImplementedError("adam_step is not written yet (exercise 'adam'; hints: make hint ex=adam)")
