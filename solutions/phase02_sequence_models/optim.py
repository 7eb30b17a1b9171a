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
    # BEGIN SOLUTION
    state["t"] = state.get("t", 0) + 1
    b1, b2 = betas
    for name, g in grads.items():
        m = state["m_" + name] = b1 * state.get("m_" + name, 0.0) + (1 - b1) * g
        v = state["v_" + name] = b2 * state.get("v_" + name, 0.0) + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** state["t"]), v / (1 - b2 ** state["t"])
        params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)
    # END SOLUTION
