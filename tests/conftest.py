"""Fixtures shared by several test modules."""

import os
import shutil

import pytest
from sklearn.datasets import make_classification

# tests/claims.py holds asserts of the claim tests: rewrite them too, so a failure shows values
pytest.register_assert_rewrite("tests.claims")


@pytest.fixture(scope="module")
def small_data():
    """360 samples, 12 features, 3 classes; split 240/60/60 as ``eval_sets``.

    Big enough that every fit sees more than one batch of 128 (also each of two CV folds of
    train + validation), so scikit-learn does not warn that it clips the batch size.
    """
    X, y = make_classification(
        n_samples=360, n_features=12, n_informative=6, n_classes=3, random_state=3
    )
    X = (X - X.min()) / (X.max() - X.min())
    return {
        "train": (X[:240], y[:240]),
        "validation": (X[240:300], y[240:300]),
        "test": (X[300:], y[300:]),
    }


@pytest.fixture
def run_at_smoke():
    """Run one committed notebook at the smoke profile into build/smoke/ and assert it
    ended without an error output and left the committed file untouched."""
    import nbformat

    from tools import pipeline

    def run(notebook):
        before = notebook.read_bytes()
        out = pipeline.output_path(notebook, "smoke")
        pipeline.execute(notebook, out, "smoke", log_output=False)
        executed = nbformat.read(out, as_version=4)
        errors = [
            output
            for cell in executed.cells
            if cell.cell_type == "code"
            for output in cell.outputs
            if output.output_type == "error"
        ]
        assert not errors
        assert notebook.read_bytes() == before

    return run


# ------------------------------------------------------------------------- the browser


def _unavailable(reason: str) -> None:
    message = (
        f"browser test cannot run: {reason}. Install Debian's chromium "
        "(apt-get install -y chromium) and the pinned playwright (make venv); "
        ".ci/run does both"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium_args() -> list[str]:
    """Command-line switches for Chromium besides ``--no-sandbox``; a test module that
    needs more defines its own ``chromium_args`` fixture."""
    return []


@pytest.fixture(scope="module")
def browser(chromium_args):
    """Debian's ``chromium`` (or ``$CHROMIUM``), headless, driven by Playwright through
    ``executable_path``: Playwright's own browser downloads are impossible offline. Without
    playwright or a chromium the test skips locally and fails under CI=true."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed ({exc})")
    executable = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if executable is None:
        _unavailable("no chromium executable on PATH")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", *chromium_args]
        )
        yield browser
        browser.close()
