"""Phase 6's checks: one torch thread for each (checks/torch_threads.py), and the NumPy tree a parity check
compares with."""
import pytest

from checks.torch_threads import one_thread  # noqa: F401 - an autouse fixture, applied by being here


@pytest.fixture(params=["reference", "your"], ids=lambda whose: f"{whose} NumPy")
def numpy_tree(request, impl_tree, ref_tree):
    """The tree whose NumPy code (phases 4 and 5) a parity check compares the learner's PyTorch with: the
    reference's, then the learner's own, loaded from the same tree as the module under test."""
    return (ref_tree if request.param == "reference" else impl_tree), request.param
