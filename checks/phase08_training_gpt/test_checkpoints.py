"""Checks for phase08_training_gpt/checkpoint.py: atomic saves, weights-only loading, random generator states."""
import errno
import os
import shutil
import tempfile
from pathlib import Path

import torch

from checks.helpers import assert_close, expect, fail
from checks.phase08_training_gpt._standins import tiny_lm


def a_state(seed, step):
    model = tiny_lm(seed)
    return {"model": model.state_dict(), "step": step, "val_loss": 1.5, "nonce": "n-1", "extra": {"list": [1, 2.5]}}


def test_round_trip_loads_weights_only(impl, seed, tmp_path):
    path = tmp_path / "run" / "ckpt.pt"
    path.parent.mkdir()
    state = a_state(seed, 7)
    impl.save_checkpoint(state, path)
    expect(path.exists(), f"save_checkpoint(state, path) wrote nothing at {path}")
    back = torch.load(path, weights_only=True)
    expect(back["step"] == 7 and back["nonce"] == "n-1" and back["extra"] == {"list": [1, 2.5]},
           "the loaded checkpoint differs from the saved state")
    for name, value in state["model"].items():
        assert_close(back["model"][name], value, f"checkpoint['model'][{name!r}] after save and load", rtol=0, atol=0)
    leftovers = sorted(p.name for p in path.parent.iterdir() if p.name != "ckpt.pt")
    expect(not leftovers, f"save_checkpoint left other files beside the checkpoint: {leftovers}",
           mistake="write a temporary file in the same folder, then os.replace it onto path")


def test_path_given_as_a_string(impl, seed, tmp_path):
    """torch.save and torch.load take a str as well as a Path, and so does save_checkpoint."""
    path = tmp_path / "ckpt.pt"
    try:
        impl.save_checkpoint(a_state(seed, 4), str(path))
    except (AttributeError, TypeError) as err:
        fail(f"save_checkpoint(state, {str(path)!r}) with the path as a str raised {type(err).__name__}: {err}",
             mistake="turn the path into a Path first (path = Path(path)) before using path.parent or path.name")
    expect(torch.load(path, weights_only=True)["step"] == 4, "save_checkpoint(state, str path) did not save the state")


def test_failed_save_keeps_the_previous_checkpoint(impl, seed, tmp_path, monkeypatch):
    """A save that dies half-way (disk full, a kill) must leave the previous checkpoint whole."""
    path = tmp_path / "ckpt.pt"
    impl.save_checkpoint(a_state(seed, 1), path)
    real_save = torch.save

    def dies_half_way(obj, f, *args, **kwargs):
        handle = open(f, "wb") if isinstance(f, (str, bytes)) or hasattr(f, "__fspath__") else f
        handle.write(b"PK\x03\x04 half a checkpoint")
        handle.flush()
        raise OSError("No space left on device (simulated during the check)")

    monkeypatch.setattr(torch, "save", dies_half_way)
    try:
        impl.save_checkpoint(a_state(seed + 1, 2), path)
    except OSError:
        pass
    else:
        fail("save_checkpoint swallowed the error from torch.save: it must re-raise it after cleaning up")
    finally:
        monkeypatch.setattr(torch, "save", real_save)
    try:
        back = torch.load(path, weights_only=True)
    except Exception as err:  # noqa: BLE001
        fail(f"after a save that failed half-way, the previous checkpoint no longer loads ({type(err).__name__})",
             mistake="never write into path itself: torch.save to a temporary file, then os.replace(tmp, path)")
    expect(back["step"] == 1, f"after a failed save the checkpoint holds step {back['step']}, expected the previous step 1")
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name != "ckpt.pt")
    expect(not leftovers, f"a failed save left {leftovers} behind", mistake="delete the temporary file when the save fails")
    impl.save_checkpoint(a_state(seed, 3), path)
    expect(torch.load(path, weights_only=True)["step"] == 3, "a later save did not replace the checkpoint")


def test_atomic_when_the_temp_folder_is_another_file_system(impl, seed, tmp_path, monkeypatch):
    """The system temp folder is often another file system than the run's folder (a tmpfs /tmp, a container's
    mount): a rename from it onto the checkpoint fails with EXDEV, and copying across instead would write into
    the checkpoint itself, which a kill then leaves half-written. Emulated here: the temp folder is
    tmp_path/other-fs, and os.replace, os.rename and shutil's move and copies out of it fail as across devices."""
    other = (tmp_path / "other-fs").resolve()
    other.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(other))

    def across_devices(real):
        def move(src, dst, *args, **kwargs):
            if other in Path(src).resolve().parents and other not in Path(dst).resolve().parents:
                raise OSError(errno.EXDEV, "Invalid cross-device link (emulated: the system temp folder is another "
                              "file system)", str(src))
            return real(src, dst, *args, **kwargs)
        return move

    for module, name in ((os, "replace"), (os, "rename"), (shutil, "move"), (shutil, "copyfile"), (shutil, "copy"),
                         (shutil, "copy2")):
        monkeypatch.setattr(module, name, across_devices(getattr(module, name)))
    expect(Path(tempfile.gettempdir()).resolve() == other, "precondition of this check: the temp folder is the other one")
    path = tmp_path / "run" / "ckpt.pt"
    path.parent.mkdir()
    try:
        impl.save_checkpoint(a_state(seed, 5), path)
    except OSError as err:
        fail(f"save_checkpoint(state, path) failed when the system temp folder is on another file system: {err}",
             mistake="make the temporary file in the checkpoint's own folder (tempfile.mkstemp(dir=path.parent)): a "
                     "rename is atomic only within one file system")
    monkeypatch.undo()
    expect(torch.load(path, weights_only=True)["step"] == 5, "the checkpoint does not hold the saved state")
    leftovers = sorted(p.name for p in [*other.iterdir(), *path.parent.iterdir()] if p.name != "ckpt.pt")
    expect(not leftovers, f"save_checkpoint left {leftovers} behind")


def test_rng_state_round_trip(impl, tmp_path):
    torch.manual_seed(1234)
    torch.rand(3)
    state = impl.rng_state()
    expect(isinstance(state, dict) and "cpu" in state, "rng_state() must return a dict with the CPU generator under 'cpu'")
    torch.save(state, tmp_path / "rng.pt")
    state = torch.load(tmp_path / "rng.pt", weights_only=True)   # only tensors and lists: loadable weights-only
    expected = torch.rand(5)
    dropout = torch.nn.functional.dropout(torch.ones(20), 0.5)
    torch.manual_seed(99)
    impl.set_rng_state(state)
    assert_close(torch.rand(5), expected, "torch.rand(5) after set_rng_state(rng_state())", rtol=0, atol=0,
                 mistake="save torch.get_rng_state() and restore it with torch.set_rng_state")
    assert_close(torch.nn.functional.dropout(torch.ones(20), 0.5), dropout,
                 "a dropout mask drawn after restoring the generator", rtol=0, atol=0)
