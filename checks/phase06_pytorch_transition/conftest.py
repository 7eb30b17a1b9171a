"""Phase 6's checks run tiny float64 modules: one CPU thread is faster for them than several, and far
faster when other processes compete for the cores (thread barriers then stall)."""
import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(params=["reference", "your"], ids=lambda whose: f"{whose} NumPy")
def numpy_tree(request, impl_tree, ref_tree):
    """The tree whose NumPy code (phases 4 and 5) a parity check compares the learner's PyTorch with: the
    reference's, then the learner's own, loaded from the same tree as the module under test."""
    return (ref_tree if request.param == "reference" else impl_tree), request.param
