"""The Fashion-MNIST notebooks (04-06) run end to end at the smoke profile.

The others are in ``test_notebooks_smoke.py``; together they cover every notebook.
"""

import pytest

from tools import pipeline

NOTEBOOKS = [p for p in pipeline.list_notebooks() if "fashion" in p.name]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_at_smoke_profile(notebook, run_at_smoke):
    run_at_smoke(notebook)
