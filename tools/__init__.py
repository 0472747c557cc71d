"""The repository's tooling, apart from the course code in ``helpers`` (which is all the
notebooks import): verification and tolerance measurement (``tools.verify``,
``tools.tolerances``), grading of answers files (``tools.grading``) and the student
version of the notebooks (``tools.student``).
"""
