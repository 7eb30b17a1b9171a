"""The engine's own tests write into a build folder of their own (WORKBOOK_BUILD), never the learner's build/.

Set before anything imports `grading`, and inherited by every `python -m grading` the tests start."""
import os
from pathlib import Path

os.environ.setdefault("WORKBOOK_BUILD", str(Path(__file__).resolve().parent.parent / ".test-build"))
