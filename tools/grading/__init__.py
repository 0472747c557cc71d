"""Grade coursework submissions (TOML answers files) against the verified results.

Modules, one job each:

``questions``   the catalogue of gradable items: ids, sections, value types
``files``       output locations (everything under ``build/grading/``), atomic writes
``answers``     reading an untrusted answers file into checked values and reasons
``reference``   the full-marks answers from ``results/*.json``, the answers template
``tolerances``  hand-work precision and the measured spread of the experiments
``rubric``      points per item (``tools/grading/rubric.toml``)
``marking``     marks per item, with error carried forward (backprop, SVM)
``reports``     console table, Markdown, HTML and the class CSV
``original``    the original submission's answers, generated from ``helpers/ledger.toml``
``cli``         ``python -m tools.grading {grade,template,reference,example}``
"""
