"""One CPU thread for torch while a check runs: the checks of phases 6, 8 and 9 use tiny models, for which one
thread is faster than several, and far faster when other processes compete for the cores (thread barriers then
stall). A phase's conftest.py imports `one_thread` to apply it to every check of the phase."""
import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
