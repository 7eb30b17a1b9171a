"""Every check of this phase runs with one torch thread (checks/torch_threads.py)."""
from checks.torch_threads import one_thread  # noqa: F401 - an autouse fixture, applied by being here
