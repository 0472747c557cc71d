"""``python -m tools.report``: see :mod:`tools.report.cli`."""

import sys

from tools.report.cli import main

sys.exit(main())
