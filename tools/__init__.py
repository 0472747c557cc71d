"""The repository's tooling, apart from the course code in ``helpers`` (which is all the
notebooks import). Tools import helpers, never the other way round.

Modules
-------
pipeline        executing the notebooks with papermill, incrementally (``make run-all``)
report          package: ``results/REPORT.md``, ``report.html`` and the README's results
                block (``make report``)
book            the book: the executed notebooks, theory and report as a site (``make book``)
ledger          the original submission's numbers (``ledger.toml``) compared with the results
bench           training throughput, scratch network vs scikit-learn (``make bench``)
verify          nbval on the committed notebooks, explained (``make verify``, ``verify-matrix``)
tolerances      the trained numbers' measured spread and the tolerances (``make tolerances``)
grading         package: grading answers files (``make grade``, ``grade-example``, ...)
student         the student version of the notebooks (``make student``)
commit_subject  the commit-msg hook: a one-line subject of at most 72 characters
"""
