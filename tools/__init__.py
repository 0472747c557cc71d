"""The repository's tooling: what runs, measures and reports the notebooks (the notebooks
themselves import only ``helpers``)."""
