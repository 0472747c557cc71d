"""The grader's view: ``results/REPORT.md`` and ``results/report.html`` from the results files.

``make report`` (``python -m tools.report``) re-trains nothing and takes seconds. It reads

* ``results/<notebook>.json`` of every notebook, validated first: a file that is
  missing, not JSON, of the wrong schema or from another profile than the others
  stops the report with a message naming the notebook to re-run;
* ``results/run.json`` when the pipeline recorded one (run date, wall time per
  notebook, Python and package versions, CPU, cores), else says "not recorded";
* the verified SHA-256 of every dataset file the profile uses (:mod:`helpers.data`);
* the figures (``image/png`` outputs) of the executed notebooks;
* :mod:`helpers.ledger`'s ``ledger.toml``: every number the original submission reports.

and writes, only once everything validated and each file atomically (temporary file
+ rename): ``REPORT.md``, a self-contained ``report.html`` (figures as data URIs),
``figures/*.png`` (for the Markdown) and the README's block between
``<!-- results:start -->`` and ``<!-- results:end -->``. Nothing in the output depends
on the current time, so the same inputs give the same bytes.

The executed notebooks for readers without Jupyter are the book (``make book``,
:mod:`tools.book`).

Modules, one job each
---------------------
inputs     the results files of a profile, validated, and the ledger compared with them
figures    the PNG outputs and titles of the executed notebooks
document   the document model (headings, paragraphs, tables, figures) and its
           Markdown and HTML rendering, CSS included
sections   the report's sections as blocks: the run, the data, the ledger, each notebook
readme     the README's results block: build it, find it, replace it
build      everything ``make report`` writes, assembled in memory
write      writing the built report (and the README block) to disk, atomically
cli        the command line (``__main__`` runs it)
"""
