import os
import sys

# The checks multiply small matrices: one BLAS thread is faster and steadier than two fighting on a busy
# 2-core machine. Set before NumPy loads; a user's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from grading.cli import main  # noqa: E402

sys.exit(main())
