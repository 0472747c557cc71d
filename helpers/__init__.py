"""Helpers for the neural networks and SVM coursework notebooks.

The math lives here as small, documented, tested functions; the notebooks in
``notebooks/`` narrate and call them.

Modules
-------
paths      where the repository, data and results live
profiles   the one table of run sizes (smoke / default / full)
data       verified MNIST / Fashion-MNIST files and the IDX reader
results    writing ``results/<notebook>.json``
pipeline   executing the notebooks with papermill (``make run-all``)
"""
