"""pytest (unit tests and nbval alike): matplotlib's cache lives in build/, not in the
user's home folder, where a stale font cache from another installation makes every
figure warn on stderr (and nbval fail on the unexpected output)."""

import os

from helpers.paths import MPL_CONFIG_DIR

os.environ.setdefault("MPLCONFIGDIR", str(MPL_CONFIG_DIR))
