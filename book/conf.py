"""Sphinx configuration of the book (``make book``): MyST-NB renders the committed notebooks.

``tools/book.py`` stages the pages (this file, ``index.md``, ``notebooks/*.ipynb``,
``theory/*.md``, ``results/REPORT.md``) under ``build/book-src/`` and runs Sphinx there;
nothing is executed (``nb_execution_mode = "off"``).

REPOSITORY and REF are the one place that names where the repository is published: the
launch links (Binder, Colab) and the repository button are built from them.
"""

from __future__ import annotations

from docutils import nodes

# Where the repository is published on GitHub. A placeholder until it is pushed: the launch
# links of every notebook page point here (README, "The book").
REPOSITORY = "your-org/nn-svm-coursework"
REF = "main"

BINDER_URL = f"https://mybinder.org/v2/gh/{REPOSITORY}/{REF}?labpath=notebooks/{{file}}"
COLAB_URL = f"https://colab.research.google.com/github/{REPOSITORY}/blob/{REF}/notebooks/{{file}}"

project = "Neural networks and SVMs, reproduced"
author = "nn-svm-coursework"
copyright = "the coursework's authors"  # noqa: A001 (Sphinx's name)
root_doc = "index"
language = "en"

extensions = ["myst_nb", "sphinx-mathjax-offline"]
exclude_patterns = ["_build", ".doctrees", "**.ipynb_checkpoints"]

# The committed outputs are the book's: never re-run a notebook.
nb_execution_mode = "off"
# Markdown that a cell displays is MyST (math included), like the Markdown cells.
nb_render_markdown_format = "myst"
myst_enable_extensions = ["dollarmath", "amsmath"]
# $$...$$ inside a paragraph is display math, as Jupyter shows it (not stray dollar signs).
myst_dmath_double_inline = True
myst_heading_anchors = 3
# A relative link to a repository file that is no page (e.g. helpers/ledger.toml) becomes a
# download of that file; tools/book.py stages the files the pages link to.
suppress_warnings = ["mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_title = project
# Without an icon, a browser asks for /favicon.ico and logs the 404 as a console error.
html_favicon = "favicon.svg"
# The sources (the notebooks as .ipynb) are copied: the download button offers them.
html_copy_source = True
# No general index: the pages define no index entries, so it would be an empty page.
html_use_index = False
html_domain_indices = False
html_show_sourcelink = False
html_last_updated_fmt = None
# Light or dark as the reader's system prefers (unset, the theme logs a console error).
html_context = {"default_mode": "auto"}
html_theme_options = {
    "repository_url": f"https://github.com/{REPOSITORY}",
    "repository_branch": REF,
    "path_to_docs": "",
    "use_repository_button": False,
    "use_download_button": True,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "navigation_with_keys": False,
}


COLAB_SETUP = f"""!git clone --depth 1 https://github.com/{REPOSITORY}
%cd {REPOSITORY.split("/")[1]}
!pip install -q -r requirements.txt && pip install -q --no-deps -e .
!python -m helpers.data fetch --profile default"""


def _launch_block(file: str) -> nodes.Element:
    """The launch links of one notebook page and what a launched copy needs."""
    box = nodes.admonition(classes=["launch-links", "tip"])
    box += nodes.title(text="Run this notebook")
    links = nodes.paragraph()
    links += nodes.reference("", "Launch on Binder", refuri=BINDER_URL.format(file=file))
    links += nodes.Text(" (the environment of environment.yml) · ")
    links += nodes.reference("", "Open in Colab", refuri=COLAB_URL.format(file=file))
    box += links
    box += nodes.paragraph(
        text="A launched copy needs the repository's helpers package and the dataset "
        "files (data/README.md; in a clone, make data fetches and verifies them). Binder "
        "builds both in (postBuild). In Colab, run these lines in a first cell, then "
        "restart the session when Colab asks:"
    )
    box += nodes.literal_block(text=COLAB_SETUP)
    return box


def _add_launch_links(app, doctree) -> None:
    docname = app.env.docname
    if not docname.startswith("notebooks/"):
        return
    file = docname.split("/", 1)[1] + ".ipynb"
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        doctree.insert(0, _launch_block(file))
        return
    title = next(iter(section.findall(nodes.title)))
    section.insert(section.index(title) + 1, _launch_block(file))


def setup(app):
    app.connect("doctree-read", _add_launch_links)
    return {"parallel_read_safe": True}
