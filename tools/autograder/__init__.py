"""The autograder of the code exercises, local and on Gradescope (README, section Grading).

``hidden_tests`` the cases (never in the hand-out), ``calls`` how a case calls a function,
``harness`` the sandboxed child, ``sandbox`` the parent's limits, ``run`` the grading of
one submission into Gradescope's results.json, ``build`` the Gradescope zip.
"""
