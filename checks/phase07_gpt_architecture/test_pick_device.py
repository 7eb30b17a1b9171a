"""Checks for phase07_gpt_architecture/device.py: cuda, then mps, then cpu; an override; clear errors.

Accelerators are simulated by patching torch.cuda.is_available and torch.backends.mps.is_available.
"""
import pytest
import torch

from checks.phase07_gpt_architecture.common import one_thread  # noqa: F401 - autouse
from checks.helpers import expect


@pytest.fixture
def machine(monkeypatch):
    """machine(cuda=..., mps=...) makes this process believe it has those devices."""
    monkeypatch.delenv("TFS_DEVICE", raising=False)

    def set_devices(cuda: bool, mps: bool):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    return set_devices


def _raises_value_error(call, text):
    try:
        call()
    except ValueError as err:
        return str(err)
    raise AssertionError(f"{text} did not raise ValueError")


@pytest.mark.parametrize("cuda, mps, expected", [(True, True, "cuda"), (False, True, "mps"), (True, False, "cuda"),
                                                 (False, False, "cpu")])
def test_auto_prefers_cuda_then_mps_then_cpu(impl, machine, cuda, mps, expected):
    machine(cuda, mps)
    for call, got in [("pick_device()", impl.pick_device()), ("pick_device('auto')", impl.pick_device("auto"))]:
        expect(got == torch.device(expected), f"{call} with cuda={cuda}, mps={mps} gave {got!r}; expected "
               f"device(type='{expected}')", mistake="try cuda first, then mps, then cpu")


def test_override_and_environment(impl, machine, monkeypatch):
    machine(True, False)
    expect(impl.pick_device("cpu") == torch.device("cpu"), "pick_device('cpu') must give cpu even when cuda is there")
    expect(impl.pick_device(" CPU ") == torch.device("cpu"), "pick_device(' CPU ') must ignore case and spaces")
    monkeypatch.setenv("TFS_DEVICE", "cpu")
    expect(impl.pick_device() == torch.device("cpu"), "pick_device() with TFS_DEVICE=cpu gave "
           f"{impl.pick_device()!r}", mistake="read os.environ['TFS_DEVICE'] when no override is given")
    monkeypatch.setenv("TFS_DEVICE", "mps")  # unavailable, but the argument wins over the environment
    expect(impl.pick_device("cuda") == torch.device("cuda"), "pick_device('cuda') must beat TFS_DEVICE")


def test_empty_environment_variable_means_auto(impl, machine, monkeypatch):
    """A fixed corner case: TFS_DEVICE set but empty (`TFS_DEVICE= make ...`, an unset CI variable) is auto."""
    machine(False, True)
    monkeypatch.setenv("TFS_DEVICE", "")
    try:
        got = impl.pick_device()
    except ValueError as err:
        got = f"ValueError({err})"
    expect(got == torch.device("mps"), f"pick_device() with TFS_DEVICE='' on a machine with mps gave {got!r}, "
           "expected device(type='mps') (auto)", mistake="an empty TFS_DEVICE counts as unset: "
           "os.environ.get('TFS_DEVICE') or 'auto'")


def test_unavailable_or_unknown_device_is_a_clear_error(impl, machine):
    machine(False, False)
    message = _raises_value_error(lambda: impl.pick_device("cuda"), "pick_device('cuda') on a cpu-only machine")
    expect("\n" not in message.strip() and "cpu" in message, f"pick_device('cuda') on a cpu-only machine raised "
           f"{message!r}; the message must be one line naming the available devices (cpu)")
    machine(False, True)
    message = _raises_value_error(lambda: impl.pick_device("cuda"), "pick_device('cuda') on a mac")
    expect("mps" in message and "cpu" in message, f"pick_device('cuda') with only mps and cpu raised {message!r}; "
           "name the available devices")
    message = _raises_value_error(lambda: impl.pick_device("gpu"), "pick_device('gpu')")
    expect("cuda" in message and "auto" in message, f"pick_device('gpu') raised {message!r}; name the valid choices")
