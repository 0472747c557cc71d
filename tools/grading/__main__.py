"""``python -m tools.grading ...``: see :mod:`tools.grading.cli`."""

import sys

from tools.grading.cli import main

sys.exit(main())
