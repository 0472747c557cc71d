"""Every notebook runs end to end at the smoke profile (every code path, seconds each).

The committed notebooks are run into build/smoke/ by the same pipeline as
`make run-all PROFILE=smoke`; their committed default-profile outputs are untouched
(nbval checks those).
"""

import nbformat
import pytest

from tools import pipeline


@pytest.mark.parametrize("notebook", pipeline.list_notebooks(), ids=lambda p: p.stem)
def test_notebook_runs_at_smoke_profile(notebook):
    before = notebook.read_bytes()
    out = pipeline.output_path(notebook, "smoke")
    pipeline.execute(notebook, out, "smoke", log_output=False)
    executed = nbformat.read(out, as_version=4)
    errors = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors
    assert notebook.read_bytes() == before
