"""Phase 9's checks run tiny models and tensors: one CPU thread is faster for them than several, and far faster
when other processes compete for the cores (thread barriers then stall)."""
import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
