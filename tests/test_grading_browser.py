"""The HTML grade report and results/report.html, opened in a real headless Chromium.

Uses Debian's ``chromium`` (``.ci/run`` installs it) driven by Playwright with
``executable_path`` (Playwright's own browser downloads are impossible offline).
Asserts that every image loaded (``naturalWidth > 0``), that no console error or page
error occurred and that the tables rendered; saves a screenshot under
``build/browser/``. Without a browser the test skips locally and fails under CI=true.
"""

from __future__ import annotations

import pytest

from helpers.paths import BUILD_DIR, RESULTS_DIR

PAGES = {
    "grade-report-original": RESULTS_DIR / "grading" / "original.html",
    "results-report": RESULTS_DIR / "report.html",
}
SCREENSHOT_DIR = BUILD_DIR / "browser"

_WAIT_FOR_IMAGES = """() => Promise.all(Array.from(document.images).map(img => img.complete
    ? null : new Promise(done => { img.onload = img.onerror = done; })))"""
_IMAGES = (
    "() => Array.from(document.images).map(img => [img.alt || img.src.slice(0, 60), "
    "img.naturalWidth])"
)
_TABLES = """() => Array.from(document.querySelectorAll('table')).map(t =>
    [t.rows.length, t.getBoundingClientRect().height])"""


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_renders_in_chromium(name, browser):
    path = PAGES[name]
    assert path.exists(), f"{path.name} missing: run make report / make grade-example"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.evaluate(_WAIT_FOR_IMAGES)
    images = page.evaluate(_IMAGES)
    tables = page.evaluate(_TABLES)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
    page.close()
    assert images, f"{path.name} shows no image"
    assert [alt for alt, width in images if width <= 0] == [], "images that did not load"
    assert errors == [], f"console errors in {path.name}"
    assert tables and all(rows > 1 and height > 0 for rows, height in tables), tables
