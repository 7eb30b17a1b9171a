"""Fixtures for every check: the module under test, the reference, and a reproducible seed.

Run through `python -m grading check` (or `pytest checks --impl solutions`). `--impl` picks the tree under
test: exercises (default), solutions, or any folder shaped like exercises/ (a learner's copy).
"""
import random
import zlib
from pathlib import Path

import numpy as np
import pytest

from grading import UsageError, catalog, replay
from grading.inputs import guarded
from grading.trees import Tree


def pytest_addoption(parser):
    group = parser.getgroup("workbook")
    group.addoption("--impl", default="exercises", help="exercises | solutions | PATH to a tree like exercises/")
    group.addoption("--seed", type=int, default=None, help="session seed; each check derives its own from it")
    group.addoption("--record-snapshots", metavar="DIR", default=None,
                    help="(for `python -m grading release`) record the reference's answers under DIR/checks/")


def pytest_configure(config):
    seed = config.getoption("--seed")
    seed = getattr(config, "workerinput", {}).get("workbook_seed", seed)  # a pytest-xdist worker: the session's
    release = replay.release()
    if seed is None and release is not None:
        seed = release["seed"]  # a learner's release replays answers recorded with this seed's inputs
    config.workbook_seed = random.randrange(2**31) if seed is None else seed
    config.addinivalue_line("markers", "times_reference: the check times the reference's own run (a release, "
                                       "which only replays the reference's answers, leaves it to the teacher's copy)")
    config.addinivalue_line("markers", "runs_reference_inside: the check runs the reference's own functions inside "
                                       "the learner's code (a release cannot replay them there, and recording them "
                                       "would be measured with them: the teacher's copy grades it)")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist: every worker draws its inputs from the controller's one session seed."""
    node.workerinput["workbook_seed"] = node.config.workbook_seed


def pytest_report_header(config):
    return f"workbook: impl {config.getoption('--impl')}, seed {config.workbook_seed} (rerun with --seed {config.workbook_seed})"


def pytest_collection_modifyitems(config, items):
    """Markers from the catalog: -m "phase(number=4)", -m "exercise(id='probability')"."""
    for item in items:
        try:
            exercise = catalog.exercise_for_check_file(item.path)
        except UsageError:
            continue
        item.add_marker(pytest.mark.phase(number=exercise.phase))
        item.add_marker(pytest.mark.exercise(id=exercise.id))


@pytest.fixture(scope="session")
def impl_tree(request) -> Tree:
    return Tree(request.config.getoption("--impl"))


@pytest.fixture(scope="session")
def snapshots(request) -> dict:
    """(phase dir, exercise id) -> the replay.Snapshot of that exercise's checks: being recorded (the release
    verb, in the teacher's copy), or replayed (in a learner's release). Recorded ones are written at the end."""
    store = {}
    yield store
    out = request.config.getoption("--record-snapshots")
    if out:
        for (phase_dir, exercise_id), snapshot in store.items():
            snapshot.save(replay.snapshot_file(phase_dir, exercise_id, Path(out)))


@pytest.fixture
def ref_tree(request, exercise, snapshots):
    """The reference tree: solutions/; in a learner's release (no solutions/), its recorded answers (a check
    whose answers were not recorded is skipped there, to be graded on the teacher's copy)."""
    recording = request.config.getoption("--record-snapshots")
    if not recording and replay.release() is None:
        return Tree("solutions")
    key = (exercise.phase_dir, exercise.id)
    if key not in snapshots:
        snapshots[key] = replay.Snapshot() if recording else replay.Snapshot.load(replay.snapshot_file(*key))
    inside = request.node.get_closest_marker("runs_reference_inside")
    if recording:
        return Tree("solutions") if inside else replay.RecordingTree(Tree("solutions"), snapshots[key])

    def needs_teacher(reason: str):
        request.node.workbook_deferred = getattr(request.node, "workbook_deferred", None) or reason
        raise replay.NeedsTeacher(f"needs the teacher's copy: {reason}")

    if request.node.get_closest_marker("times_reference"):
        needs_teacher("it times the reference's own run, which a release only replays")
    if inside:
        needs_teacher("it runs the reference's own functions inside your code, which a release only replays")
    return replay.ReplayTree(snapshots[key], needs_teacher)


@pytest.fixture
def exercise(request) -> catalog.Exercise:
    return catalog.exercise_for_check_file(request.path)


@pytest.fixture
def impl(impl_tree, exercise):
    """The learner's module for this check's exercise. Its functions get copies of their inputs and fail the check
    if they change them (but those the catalog names in `mutates`, whose contract is to update in place)."""
    return guarded(impl_tree.load(exercise.dotted), exercise.mutates)


@pytest.fixture
def ref(ref_tree, exercise):
    """The reference module for this check's exercise."""
    return ref_tree.load(exercise.dotted)


@pytest.fixture
def seed(request) -> int:
    """Fresh per session, fixed per check: `--seed S` reproduces a failing run."""
    return (request.config.workbook_seed + zlib.crc32(request.node.nodeid.encode())) % 2**32


@pytest.fixture
def rng(seed) -> np.random.Generator:
    return np.random.default_rng(seed)
