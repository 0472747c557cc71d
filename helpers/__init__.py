"""Course code for the neural networks and SVM coursework notebooks.

The math lives here as small, documented, tested functions; the notebooks in
``notebooks/`` narrate and call them. Every module here is imported by a notebook,
directly or through another helper, and none imports ``tools``: the repository's
tooling (running the notebooks, the report, the benchmark, grading) lives there
(``tests/test_layout.py`` checks both).

Modules
-------
backprop       backpropagation by hand for the theory section's 1-1-1 ReLU network (01)
svm            hard-margin linear SVMs solved exactly from the support-vector equations (02)
scratch_nn     a fully connected network written from scratch in NumPy (03)
scratch_study  notebook 03's activation x initialisation study, and the original's numbers
fashion        Fashion-MNIST for notebooks 04-06: splits, sample figure, epoch loop
mlp_study      scikit-learn MLPs: the activation study (04) and the grid search (05)
autoencoder    an MLPRegressor autoencoder and classifiers on its bottleneck (06)
data           verified MNIST / Fashion-MNIST files and the strict IDX reader (make data)
profiles       the one table of run sizes (smoke / default / full)
seeds          every seed the notebooks use, in one place
parallel       where independent tasks run, and with how many BLAS threads
results        writing ``results/<notebook>.json``
verify         each notebook's last cell: the re-run against the committed run, in tolerance
paths          where the repository, notebooks, data, results and build folders live
files          atomic writes: a reader never sees half a file
"""
