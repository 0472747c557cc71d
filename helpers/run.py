"""One notebook run: everything it needs, passed in explicitly.

A notebook's ``parameters`` cell holds two settings that papermill may replace:

``profile``
    ``"smoke"``, ``"default"`` or ``"full"`` (:mod:`helpers.profiles`).
``run_options``
    a dict of the keyword arguments of :func:`start_run` below; empty for a reader's run,
    set by the tools that execute notebooks (``make run-all ACCEPT=1``, ``make
    tolerances``, ``make bench-run-all``).

Its setup cell calls ``run = start_run("03_scratch_nn", profile, **run_options)`` and its
last cell ``run.finish(payload)``, which writes the results and checks them against the
committed run. Nothing here reads the environment.

Where results go: every run writes ``build/<profile>/results/<notebook>.json`` (or the
``output_dir`` it is given). The committed ``results/`` is written by the pipeline alone
(``make run-all``), which copies a run's file there once the whole notebook succeeded, so a
run that fails half-way leaves ``results/`` as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import parallel, results, verify
from helpers.profiles import get_profile
from helpers.seeds import TrainingSeeds

#: What :meth:`RunContext.finish` does with a disagreement: ``check`` raises, ``report``
#: prints it (the tolerance measurement), ``accept`` makes this run the new reference.
VERIFY_MODES = ("check", "report", "accept")


@dataclass(frozen=True)
class RunContext:
    """The settings of one notebook run and the committed run it is compared with."""

    notebook: str
    profile_name: str
    profile: Mapping[str, Any]
    seeds: TrainingSeeds
    output_dir: Path
    verify_mode: str
    tasks: str
    #: the committed run's results payload, read when the run started (None: nothing to
    #: compare with: another profile, or a new notebook whose run is being accepted)
    reference: Mapping[str, Any] | None = field(repr=False, default=None)

    def finish(self, payload: Mapping[str, Any]) -> None:
        """Write ``payload`` as this run's results and print the verification verdict.

        Raises :class:`helpers.verify.VerificationError` (mode ``check``) naming every
        value that disagrees with the committed run. Returns nothing, so a cell that ends
        with this call shows only the printed verdict.
        """
        saved = results.save_results(self.notebook, self.profile_name, payload, self.output_dir)
        verify.check(
            self.notebook,
            self.profile_name,
            payload,
            self.reference,
            mode=self.verify_mode,
            verdict_file=saved.with_suffix(".verdict.json"),
        )


def start_run(
    notebook: str,
    profile: str = "default",
    *,
    output_dir: str | Path | None = None,
    seed_offset: int = 0,
    verify: str = "check",
    tasks: str = "processes",
) -> RunContext:
    """Validate a run's settings once and read the committed run it will be checked against.

    ``output_dir``: where the results go (default ``build/<profile>/results``; a relative
    path is taken from the repository root). ``seed_offset``: every training seed shifted
    by it (0..999; the tolerance measurement re-runs with 1). ``verify``: one of
    :data:`VERIFY_MODES`. ``tasks``: ``"processes"`` (independent tasks on local
    processes, or on a Dask cluster when ``DASK_SCHEDULER_ADDRESS`` names one) or
    ``"serial"`` (every task in this kernel).
    """
    row = get_profile(profile)
    if verify not in VERIFY_MODES:
        raise ValueError(f"verify must be one of {VERIFY_MODES}, got {verify!r}")
    seeds = TrainingSeeds(seed_offset)
    parallel.use_engine(tasks)
    reference = None
    if profile == "default":
        reference = results.load_committed(notebook, missing_ok=verify == "accept")
    return RunContext(
        notebook=notebook,
        profile_name=profile,
        profile=row,
        seeds=seeds,
        output_dir=results.run_dir(profile, output_dir),
        verify_mode=verify,
        tasks=tasks,
        reference=reference,
    )
