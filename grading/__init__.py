"""The workbook's engine: catalog, stubs, checks runner, reports, capstone and benchmarks."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"


class UsageError(Exception):
    """A user mistake: printed as one line, exit status 2."""
