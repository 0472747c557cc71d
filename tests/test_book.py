"""The book (``make book``), built once here and opened page by page in a real Chromium.

The module fixture builds the book (incremental: a few seconds when nothing changed) and
serves ``build/book/`` from a local HTTP server. Every HTML page of the site is then
loaded at a 1280 x 900 viewport, every request it makes recorded (the browser resolves no
host name but the local server's), and must show:

- no console error and no page error, and no local request that failed (404);
- no request to any host but the local server;
- every image loaded (``naturalWidth > 0``);
- no raw TeX in the visible text outside code (``$$``, ``\\(``, ``\\[``, ``\\begin{``)
  and no MathJax error: every formula was typeset by the site's own MathJax;
- no code of a cell whose input is hidden: the source of a ``remove-input`` or
  ``remove-cell`` cell (claim checks included) is nowhere in the page's code blocks, and
  that of a ``hide-input`` cell is not visible until its toggle is opened;
- no horizontal overflow of the page;
- the page title from the page's first heading (a notebook's from its first Markdown
  heading);
- every link into the site resolving: the file exists and so does the ``#anchor``.

``test_checks_catch_planted_faults`` runs the same checks over a page built to break
each of them and asserts that each fault is reported, so the checks can fail.

Uses Debian's ``chromium`` driven by Playwright with ``executable_path`` (the ``browser``
fixture of ``tests/conftest.py``, shared with ``tests/test_grading_browser.py``); without a
browser the browser tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import functools
import html
import http.server
import importlib.util
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from tools import book

VIEWPORT = {"width": 1280, "height": 900}
# Every host name but the local server's fails to resolve: a page cannot fetch anything
# from elsewhere, and inspect_page reports each request it tried.
BLOCK_OTHER_HOSTS = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
RAW_TEX = ("$$", "\\(", "\\)", "\\[", "\\]", "\\begin{")


def _expected_pages() -> list[str]:
    """Every HTML page the book must have, from its sources (not from the build)."""
    pages = ["search.html"]
    for name in book.stage_files():
        if name.endswith((".md", ".ipynb")):
            pages.append(name.rsplit(".", 1)[0] + ".html")
    return sorted(pages)


PAGES = _expected_pages()


# ------------------------------------------------------------------ no browser needed


def _cell(tags=(), source_hidden=False, cell_type="code"):
    metadata = {"tags": list(tags)}
    if source_hidden:
        metadata["jupyter"] = {"source_hidden": True}
    return {"cell_type": cell_type, "metadata": metadata, "source": "x = 1"}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (_cell(["claim-check"]), ["claim-check", "remove-input"]),
        (_cell(["claim-check", "remove-input"]), ["claim-check", "remove-input"]),
        (_cell(["claim-check", "hide-input"]), ["claim-check", "hide-input", "remove-input"]),
        (_cell(["parameters"]), ["parameters", "remove-cell"]),
        (_cell(["injected-parameters"]), ["injected-parameters", "remove-cell"]),
        (_cell(["parameters", "hide-input"]), ["parameters", "hide-input"]),
        (_cell([], source_hidden=True), ["hide-input"]),
        (_cell(["remove-input"], source_hidden=True), ["remove-input"]),
        (_cell(["parameters"], cell_type="markdown"), ["parameters"]),
        (_cell([]), []),
    ],
)
def test_book_tags(cell, expected):
    assert book.book_tags(cell) == expected


def test_staging_changes_only_tags():
    """The staged notebooks are the committed ones: same cells, sources and outputs."""
    staged = book.stage_files()
    for source in book.list_notebooks():
        original = nbformat.read(source, as_version=4)
        copy = nbformat.reads(staged[f"notebooks/{source.name}"].decode(), as_version=4)
        assert len(copy.cells) == len(original.cells)
        for a, b in zip(original.cells, copy.cells, strict=True):
            assert (a.source, a.get("outputs")) == (b.source, b.get("outputs"))
            assert set(a.metadata.get("tags", [])) <= set(b.metadata.get("tags", []))


def test_linked_markdown_becomes_an_orphan_page():
    assert book._orphan(b"# Title\n") == b"---\norphan: true\n---\n# Title\n"
    assert book._orphan(b"---\ntitle: T\n---\n# T\n") == (
        b"---\norphan: true\ntitle: T\n---\n# T\n"
    )


def test_staging_includes_linked_repository_files():
    staged = book.stage_files()
    for name in staged:
        if name.endswith((".md", ".ipynb")):
            assert book._linked_files(name, staged) <= set(staged), name


# ------------------------------------------------------------------------- the browser


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reports failures itself
        pass


def _serve(folder: Path):
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def chromium_args():
    """For the shared ``browser`` fixture (tests/conftest.py): resolve no host but ours."""
    return [BLOCK_OTHER_HOSTS]


@pytest.fixture(scope="module")
def context(browser):
    """One browser context for the site's pages, so they share the HTTP cache."""
    context = browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


@pytest.fixture(scope="module")
def site():
    """The book, built (incrementally) from the current sources and served locally."""
    book.build()
    server, base = _serve(book.OUT_DIR)
    yield book.OUT_DIR, base
    server.shutdown()
    server.server_close()


_PREPARE = """async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        await MathJax.startup.promise;
    }
    for (const img of document.images) { img.loading = 'eager'; }
    await Promise.all(Array.from(document.images).map(img => img.complete
        ? null : new Promise(done => { img.onload = img.onerror = done; })));
}"""
_FACTS = """() => {
    const visible = el => el.checkVisibility({visibilityProperty: true, opacityProperty: true});
    const pre = Array.from(document.querySelectorAll('pre'));
    // the visible text outside code, where TeX that MathJax did not typeset would show
    const prose = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const el = walker.currentNode.parentElement;
        if (el && !el.closest('code, pre, script, style, mjx-container') && visible(el)) {
            prose.push(walker.currentNode.textContent);
        }
    }
    return {
        title: document.title,
        text: prose.join(''),
        mathErrors: document.querySelectorAll('mjx-merror, .MathJax_Error').length,
        images: Array.from(document.images).map(img => [img.getAttribute('src'),
            img.naturalWidth]),
        codeAll: pre.map(p => p.textContent).join('\\n'),
        codeVisible: pre.filter(visible).map(p => p.innerText).join('\\n'),
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    };
}"""


def _squash(text: str) -> str:
    return " ".join(text.split())


def _hidden_sources(notebook: dict) -> tuple[list[str], list[str]]:
    """The sources of the cells whose code the book must not show: (removed, collapsed)."""
    removed, collapsed = [], []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code" or not _squash(cell["source"]):
            continue
        tags = set(book.book_tags(cell))
        if tags & {"remove-input", "remove-cell"}:
            removed.append(_squash(cell["source"]))
        elif "hide-input" in tags:
            collapsed.append(_squash(cell["source"]))
    return removed, collapsed


def _first_heading(text: str) -> str:
    match = re.search(r"^#\s+(.+?)\s*$", text, re.MULTILINE)
    return match.group(1) if match else ""


def _expected_title(site_dir: Path, page: str) -> str:
    """The first heading of the page's source (the landing page's: the project name)."""
    stage = book.STAGE_DIR
    stem = page.rsplit(".", 1)[0]
    if page == "search.html":
        return ""
    if (stage / f"{stem}.ipynb").is_file():
        nb = nbformat.read(stage / f"{stem}.ipynb", as_version=4)
        markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        return _first_heading(markdown)
    return _first_heading((stage / f"{stem}.md").read_text())


def _local_target(site_dir: Path, base: str, url: str) -> tuple[Path, str] | None:
    if not url.startswith(base):
        return None
    parts = urlsplit(url)
    path = unquote(parts.path).lstrip("/")
    target = site_dir / path
    if not path or path.endswith("/"):
        target = target / "index.html"
    return target, parts.fragment


@functools.cache
def _ids(path: Path) -> frozenset[str]:
    return frozenset(html.unescape(i) for i in re.findall(r'\sid="([^"]+)"', path.read_text()))


def _local(url: str, base: str) -> bool:
    return url.startswith((base, "data:", "blob:"))


def inspect_page(
    context, site_dir: Path, base: str, page: str, title: str, notebook: dict | None
) -> list[str]:
    """Open ``page`` of the site served at ``base`` in a new tab of ``context``.

    Returns every fault found, as sentences. Every request is seen here; the browser
    cannot reach another host (:data:`BLOCK_OTHER_HOSTS`).
    """
    problems: list[str] = []
    tab = context.new_page()
    tab.on(
        "request",
        lambda r: (
            None
            if _local(r.url, base)
            else problems.append(f"request that leaves the site: {r.url}")
        ),
    )
    tab.on(
        "console",
        lambda m: problems.append(f"console error: {m.text}") if m.type == "error" else None,
    )
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on(
        "response",
        lambda r: (
            problems.append(f"HTTP {r.status}: {r.url}")
            if r.url.startswith(base) and r.status >= 400
            else None
        ),
    )
    try:
        tab.goto(base + page, wait_until="load")
        tab.evaluate(_PREPARE)
        facts = tab.evaluate(_FACTS)
    finally:
        tab.close()

    for src, width in facts["images"]:
        if width <= 0:
            problems.append(f"image not loaded: {src}")
    text = facts["text"]
    for token in RAW_TEX:
        if token in text:
            at = text.index(token)
            problems.append(f"raw TeX {token!r} visible: ...{text[max(0, at - 40) : at + 40]!r}")
    if facts["mathErrors"]:
        problems.append(f"{facts['mathErrors']} formula(s) MathJax could not typeset")
    if facts["overflow"] > 0:
        problems.append(f"horizontal overflow of {facts['overflow']} px at 1280 px")
    # Sphinx typesets quotes (' becomes ’); the title is the same text
    if title and not facts["title"].replace("’", "'").startswith(title.replace("’", "'")):
        problems.append(f"title {facts['title']!r} does not start with {title!r}")
    if notebook is not None:
        removed, collapsed = _hidden_sources(notebook)
        code_all, code_visible = _squash(facts["codeAll"]), _squash(facts["codeVisible"])
        for source in removed:
            if source in code_all:
                problems.append(f"code of a removed-input cell in the page: {source[:60]!r}")
        for source in collapsed:
            if source in code_visible:
                problems.append(f"code of a hide-input cell visible: {source[:60]!r}")
    for url in sorted(set(facts["links"])):
        target = _local_target(site_dir, base, url)
        if target is None:
            continue
        path, fragment = target
        if not path.is_file():
            problems.append(f"broken link: {url}")
        elif fragment and path.suffix == ".html" and unquote(fragment) not in _ids(path):
            problems.append(f"broken anchor: {url}")
    return problems


def test_site_has_every_page(site):
    site_dir, _ = site
    built = sorted(
        p.relative_to(site_dir).as_posix()
        for p in site_dir.rglob("*.html")
        if not p.relative_to(site_dir).as_posix().startswith("_")
    )
    assert built == PAGES


def test_notebook_pages_have_launch_links(site):
    site_dir, _ = site
    spec = importlib.util.spec_from_file_location("book_conf", book.BOOK_DIR / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert conf.REPOSITORY in conf.BINDER_URL and conf.REPOSITORY in conf.COLAB_URL
    for notebook in book.list_notebooks():
        page = (site_dir / "notebooks" / f"{notebook.stem}.html").read_text()
        for url in (conf.BINDER_URL, conf.COLAB_URL):
            assert html.escape(url.format(file=notebook.name)) in page, notebook.name
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        for line in conf.COLAB_SETUP.splitlines():
            assert line in text, (notebook.name, line)
        assert "needs the repository's helpers package and the dataset files" in text


@pytest.mark.parametrize("page", PAGES)
def test_page_in_chromium(page, site, context):
    site_dir, base = site
    notebook = None
    stem = page.rsplit(".", 1)[0]
    if (book.STAGE_DIR / f"{stem}.ipynb").is_file():
        notebook = nbformat.read(book.STAGE_DIR / f"{stem}.ipynb", as_version=4)
    problems = inspect_page(
        context, site_dir, base, page, _expected_title(site_dir, page), notebook
    )
    assert problems == [], f"{page}:\n" + "\n".join(problems)


PLANTED = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Wrong title</title>
<link rel="stylesheet" href="https://cdn.example.org/style.css"></head><body>
<p>Raw formula: $$x^2$$</p>
<pre>assert accuracy &gt; 0.9  # claim check</pre>
<details><summary>show code</summary><pre>hidden_but_expandable = 1</pre></details>
<pre>visible_collapsed = 2</pre>
<img src="missing.png" alt="missing">
<div style="width: 3000px">wide</div>
<a href="nowhere.html">broken</a> <a href="planted.html#no-such-anchor">anchor</a>
<script>console.error("planted error")</script>
</body></html>
"""


def test_checks_catch_planted_faults(browser, tmp_path):
    (tmp_path / "planted.html").write_text(PLANTED)
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["claim-check", "remove-input"]},
             "source": "assert accuracy > 0.9  # claim check"},
            {"cell_type": "code", "metadata": {"tags": ["hide-input"]},
             "source": "hidden_but_expandable = 1"},
            {"cell_type": "code", "metadata": {"tags": ["hide-input"]},
             "source": "visible_collapsed = 2"},
        ]
    }  # fmt: skip
    server, base = _serve(tmp_path)
    try:
        context = browser.new_context(viewport=VIEWPORT)
        problems = inspect_page(context, tmp_path, base, "planted.html", "Right title", notebook)
        context.close()
    finally:
        server.shutdown()
        server.server_close()
    expected = [
        "request that leaves the site: https://cdn.example.org/style.css",
        "raw TeX '$$' visible",
        "code of a removed-input cell in the page: 'assert accuracy > 0.9",
        "code of a hide-input cell visible: 'visible_collapsed = 2'",
        "image not loaded: missing.png",
        "horizontal overflow",
        "title 'Wrong title' does not start with 'Right title'",
        "broken link: " + base + "nowhere.html",
        "broken anchor: " + base + "planted.html#no-such-anchor",
        "console error: planted error",
        "HTTP 404: " + base + "missing.png",
    ]
    for fault in expected:
        assert any(p.startswith(fault) for p in problems), (fault, problems)
    assert not any("hidden_but_expandable" in p for p in problems), problems


def _tag_notebook() -> nbformat.NotebookNode:
    """A notebook with one cell per visibility rule, each with a recognisable source."""
    v4 = nbformat.v4
    stream = v4.new_output("stream", name="stdout", text="the claim holds\n")
    cells = [
        v4.new_markdown_cell("# 01 · Tags\n\nA formula: $$E = \\tfrac12 (y - \\hat y)^2$$"),
        v4.new_code_cell("profile = 'default'", metadata={"tags": ["parameters"]}),
        v4.new_code_cell(
            "assert 0.9 > 0.5, 'removed_claim_source'",
            metadata={"tags": ["claim-check", "remove-input"]},
            outputs=[stream],
        ),
        v4.new_code_cell(
            "assert 0.8 > 0.5, 'untagged_claim_source'",
            metadata={"tags": ["claim-check"], "jupyter": {"source_hidden": True}},
        ),
        v4.new_code_cell("removed_cell_source = 1", metadata={"tags": ["remove-cell"]}),
        v4.new_code_cell("collapsed_source = 2", metadata={"tags": ["hide-input"]}),
        v4.new_code_cell("shown_source = 3"),
    ]
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def test_book_honours_cell_tags(browser, tmp_path):
    """A book of one notebook: removed code absent, collapsed code hidden until opened."""
    source = tmp_path / "01_tags.ipynb"
    nbformat.write(_tag_notebook(), source)
    files = {
        "conf.py": (book.BOOK_DIR / "conf.py").read_bytes(),
        "index.md": b"# Tags\n\n```{toctree}\nnotebooks/01_tags\n```\n",
        "favicon.svg": (book.BOOK_DIR / "favicon.svg").read_bytes(),
        "notebooks/01_tags.ipynb": book._notebook_for_book(source),
    }
    out = tmp_path / "site"
    book.build(out, tmp_path / "src", tmp_path / "doctrees", files)
    staged = nbformat.read(tmp_path / "src" / "notebooks" / "01_tags.ipynb", as_version=4)
    server, base = _serve(out)
    try:
        context = browser.new_context(viewport=VIEWPORT)
        problems = inspect_page(context, out, base, "notebooks/01_tags.html", "01 · Tags", staged)
        tab = context.new_page()
        tab.goto(base + "notebooks/01_tags.html", wait_until="load")
        page_text = tab.evaluate("() => document.body.innerText")
        dom = tab.content()
        tab.locator("details summary").first.click()
        opened = tab.evaluate("() => document.body.innerText")
        context.close()
    finally:
        server.shutdown()
        server.server_close()
    assert problems == [], problems
    assert "the claim holds" in page_text  # a claim check's output stays
    assert "shown_source" in page_text
    for hidden in ("removed_claim_source", "untagged_claim_source", "removed_cell_source"):
        assert hidden not in dom, hidden
    assert "profile = 'default'" not in dom
    assert "collapsed_source" in dom and "collapsed_source" not in page_text
    assert "collapsed_source" in opened  # the toggle shows it


def test_search_finds_pages(site, context):
    """The search runs in the page, from the site's own index."""
    _, base = site
    tab = context.new_page()
    try:
        tab.goto(base + "search.html?q=backpropagation", wait_until="load")
        tab.wait_for_selector("#search-results ul.search li a", timeout=20_000)
        hits = tab.evaluate(
            "() => Array.from(document.querySelectorAll('#search-results ul.search li a'))"
            ".map(a => a.getAttribute('href'))"
        )
    finally:
        tab.close()
    assert any(h.startswith("notebooks/01_backprop_by_hand.html") for h in hits), hits
