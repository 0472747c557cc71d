"""Every notebook runs end to end at the smoke profile (every code path, seconds each).

The committed notebooks are run into build/smoke/ by the same pipeline as
`make run-all PROFILE=smoke`; their committed default-profile outputs are untouched
(nbval checks those). The Fashion-MNIST notebooks are in
``test_notebooks_smoke_fashion.py``, so that `make unit`'s two processes (which take a
test module at a time) share the work.
"""

import pytest

from tools import pipeline

NOTEBOOKS = [p for p in pipeline.list_notebooks() if "fashion" not in p.name]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_at_smoke_profile(notebook, run_at_smoke):
    run_at_smoke(notebook)
