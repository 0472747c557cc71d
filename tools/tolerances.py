"""Measure how far each trained number moves, and derive the tolerances ``make verify`` uses.

``make tolerances`` (``python -m tools.tolerances measure`` then ``derive``) re-runs the
notebooks at the default profile under *variants* of the machine and of the seeds:

* BLAS threads 1 and 4 (ours: 2): OpenBLAS splits its sums differently;
* other OpenBLAS kernel families (``OPENBLAS_CORETYPE`` Sandybridge and Nehalem, and
  SkylakeX on a CPU with AVX-512): the largest difference between graders' computers;
* NumPy without its AVX2/AVX-512 code paths (``NPY_DISABLE_CPU_FEATURES``);
* other training seeds (the run option ``seed_offset``, :mod:`helpers.run`): the spread
  a grader's machine must stay inside, since a machine difference acts like a tiny
  perturbation of the starting point and chaotic runs amplify it as far as another seed
  would. So a re-run with one of the measured offsets is accepted by construction; a
  seed outside the measured set is not (``make regressions`` shows one failing);
* committed runs made on other CPUs, read from git (``previous-host``, ``earlier-host``;
  not re-run): other CPUs, whose BLAS kernels may round differently.

Each variant's notebooks run with papermill into ``build/tolerances/<variant>/`` and
write their results there (the run option ``output_dir``), never into ``results/``. ``derive``
compares every leaf of every variant's results with the committed ``results/*.json``
and writes ``results/tolerances.json``:

* a number that no variant moved is compared *numerically* (relative 1e-9): it is the
  result of arithmetic, not of training;
* a number that moved gets ``tolerance = SAFETY * (largest move over all variants)``,
  with a floor of one test image for accuracies, and the moves are recorded beside it;
* a non-number (a ranking, a best parameter) that moved must be one of the values seen;
* leaves that name a seed are settings and are compared exactly.

Nothing here runs in ``make test``: each variant re-runs notebooks 03-07 (minutes on 2
cores; the Nehalem kernels are several times slower in matrix products);
``measure <variants> --notebooks 05`` re-measures one notebook. OPENBLAS_CORETYPE is set
only by the kernel-family variants, only in their kernels.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from helpers import verify
from helpers.paths import BUILD_DIR, RESULTS_DIR, relative
from helpers.results import TOLERANCES_FILE, committed_path, read_document
from tools import pipeline

MEASURE_DIR = BUILD_DIR / "tolerances"
SUMMARY_FILE = RESULTS_DIR / "TOLERANCES.md"
#: NumPy's dispatch groups above the x86-64-v2 baseline: AVX-512 (v4, ICL, SPR) and AVX2 (v3).
NUMPY_SIMD_GROUPS = "X86_V4 AVX512_ICL AVX512_SPR X86_V3"

#: Each variant: the environment its kernels get (``env``), the run options it passes
#: (``options``, :func:`helpers.run.start_run`), what it stands for, and its kind:
#: ``machine`` (another computer could do this) or ``seed`` (another training seed).
VARIANTS: dict[str, dict[str, Any]] = {
    "threads-1": {
        "env": {"OPENBLAS_NUM_THREADS": "1"},
        "about": "OpenBLAS with 1 thread (a grader with another core count)",
    },
    "threads-4": {"env": {"OPENBLAS_NUM_THREADS": "4"}, "about": "OpenBLAS with 4 threads"},
    "numpy-no-avx": {
        "env": {"NPY_DISABLE_CPU_FEATURES": NUMPY_SIMD_GROUPS},
        "about": "NumPy without its AVX2/AVX-512 loops (other SIMD paths)",
    },
    "openblas-sandybridge": {
        "env": {"OPENBLAS_CORETYPE": "Sandybridge"},
        "about": "OpenBLAS's Sandybridge kernels (AVX, no FMA: an older CPU's products)",
    },
    "openblas-nehalem": {
        "env": {"OPENBLAS_CORETYPE": "Nehalem"},
        "about": "OpenBLAS's Nehalem kernels (SSE only; several times slower)",
    },
    "openblas-skylakex": {
        "env": {"OPENBLAS_CORETYPE": "SkylakeX"},
        "requires_cpu_flag": "avx512f",
        "about": "OpenBLAS's SkylakeX kernels (AVX-512; only on a CPU that has it)",
    },
    "seed-1": {"options": {"seed_offset": 1}, "kind": "seed", "about": "every training seed + 1"},
    "seed-2": {"options": {"seed_offset": 2}, "kind": "seed", "about": "every training seed + 2"},
    "seed-3": {"options": {"seed_offset": 3}, "kind": "seed", "about": "every training seed + 3"},
    # Not re-run but recorded: committed runs made on other CPUs (same pins, same 2 cores),
    # read from git. A re-run variant reveals only the SIMD paths and kernels of the CPU
    # it runs on; these runs carry another CPU's.
    "previous-host": {
        "env": {},
        "recorded_from": "784335a",
        # notebooks whose default profile or payload changed after that commit
        "not_recorded": ("03_scratch_nn", "05_fashion_grid_search", "07_experiments"),
        "about": "a committed run made on another CPU (same pins and threads); recorded "
        "from git (784335a), not re-run; only for 04 and 06 (the default profiles of 03 "
        "and 05 and the whole of 07 changed after it)",
    },
    "earlier-host": {
        "env": {},
        "recorded_from": "3634a44",
        # notebooks whose default profile changed after that commit: not comparable
        "not_recorded": ("03_scratch_nn", "05_fashion_grid_search"),
        "about": "a committed run made on a third CPU; recorded from git (3634a44), not "
        "re-run; only for 04 and 06 (the default profiles of 03 and 05 changed after it, "
        "07 was added after it)",
    },
}
#: Notebooks whose numbers come from training (01 and 02 are exact arithmetic). 07 also
#: carries tolerances measured within its own run from its seeds (helpers/verify.py); a
#: rule derived here replaces the in-run one for the same value.
MEASURED_NOTEBOOKS = ("03", "04", "05", "06", "07")


def variant_dir(variant: str) -> Path:
    return MEASURE_DIR / variant


def variant_kind(variant: str) -> str:
    """``"seed"`` or ``"machine"`` (see :data:`VARIANTS`)."""
    return VARIANTS[variant].get("kind", "machine")


def cpu_has(flag: str) -> bool:
    """Whether this CPU reports ``flag`` (``/proc/cpuinfo``; False where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return False
    return any(
        line.startswith("flags") and flag in line.split(":", 1)[1].split()
        for line in text.splitlines()
    )


def runnable(variant: str) -> bool:
    """A variant that needs a CPU feature this machine lacks cannot run here."""
    flag = VARIANTS[variant].get("requires_cpu_flag")
    return flag is None or cpu_has(flag)


def measure(variant: str, notebooks: Sequence[str] = MEASURED_NOTEBOOKS) -> int:
    """Run ``notebooks`` under ``variant``; return how many failed."""
    if variant not in VARIANTS:
        raise SystemExit(f"error: unknown variant {variant!r}: choose from {', '.join(VARIANTS)}")
    if "recorded_from" in VARIANTS[variant]:
        return copy_recorded(variant)
    if not runnable(variant):
        print(f"[{variant}] skipped: this CPU lacks {VARIANTS[variant]['requires_cpu_flag']}")
        return 0
    out = variant_dir(variant)
    env = dict(VARIANTS[variant].get("env", {}))
    # report: a seed variant is *meant* to differ from the committed run; say so, go on
    options = {
        **VARIANTS[variant].get("options", {}),
        "output_dir": str(out / "results"),
        "verify": "report",
    }
    failed = 0
    for path in pipeline._resolve(list(notebooks)):
        start = time.perf_counter()
        print(f"[{variant}] {path.name} ...", flush=True)
        try:
            pipeline.execute(
                path,
                out / "notebooks" / path.name,
                "default",
                options,
                failed_dir=out / "failed",
                log_output=False,
                env=env,
            )
        except pipeline.NotebookFailed as exc:
            print(f"[{variant}] FAILED: {exc}", flush=True)
            failed += 1
            continue
        print(f"[{variant}] {path.name} done in {time.perf_counter() - start:.0f} s", flush=True)
    record = {
        "variant": variant,
        "env": env,
        "options": VARIANTS[variant].get("options", {}),
        "machine": pipeline.environment_record(),
        "blas": blas_record(env),
    }
    (out / "variant.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return failed


def copy_recorded(variant: str) -> int:
    """Copy a recorded variant's results out of git (``VARIANTS[variant]["recorded_from"]``)."""
    import subprocess

    commit = VARIANTS[variant]["recorded_from"]

    def git(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["git", *args], cwd=RESULTS_DIR, capture_output=True, text=True, check=check
        )

    # a shallow clone or an archive lacks the commit: say so, never drop the variant quietly
    if git("cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode != 0:
        raise SystemExit(
            f"error: variant {variant!r} is recorded from commit {commit}, which this "
            f"checkout does not have (a shallow clone? `git fetch --unshallow`)"
        )
    out = variant_dir(variant) / "results"
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(RESULTS_DIR.glob("0*.json")):
        if path.stem in VARIANTS[variant].get("not_recorded", ()):
            (out / path.name).unlink(missing_ok=True)
            continue
        source = f"{commit}:results/{path.name}"
        if git("cat-file", "-e", source, check=False).returncode != 0:
            print(f"[{variant}] {path.name}: not in {commit}, not recorded", flush=True)
            (out / path.name).unlink(missing_ok=True)
            continue
        (out / path.name).write_text(git("show", source).stdout, encoding="utf-8")
    print(f"[{variant}] results of {commit} copied to {relative(out)}", flush=True)
    return 0


def blas_record(env: Mapping[str, str]) -> list[dict]:
    """threadpoolctl's view (library, version, kernel, threads) under ``env``."""
    import subprocess

    code = (
        "import json, numpy, scipy.linalg, threadpoolctl;"
        "print(json.dumps(threadpoolctl.threadpool_info()))"
    )
    import os

    text = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    ).stdout
    keep = ("internal_api", "version", "architecture", "num_threads", "prefix")
    return [{k: v for k, v in pool.items() if k in keep} for pool in json.loads(text)]


#: tolerance = SAFETY x the largest move measured (the committed run is one draw too).
SAFETY = 2.0
#: ... but never below this fraction of the value (machine-only moves are ULP-sized).
RELATIVE_FLOOR = 1e-6


def is_setting(leaf: str) -> bool:
    """Leaves that record a seed: settings, compared exactly (seed variants change them)."""
    return "seed" in leaf


def measured_results(notebook: str) -> dict[str, dict[str, Any]]:
    """``{variant: flattened results}`` for every variant that has ``notebook``'s file."""
    found = {}
    for variant in VARIANTS:
        path = variant_dir(variant) / "results" / f"{notebook}.json"
        if path.is_file():
            document = read_document(path)
            found[variant] = verify.flatten(verify.without_in_run_rules(document["results"]))
    return found


#: Values that are choices even when they are numbers (a best batch size is not "within
#: 64 of 64"): a choice that moved must be one of the outcomes seen.
CHOICE_PARTS = ("best_params", "ranking")


def is_choice(leaf: str) -> bool:
    return any(part.startswith(CHOICE_PARTS) for part in leaf.split("/"))


#: Verdicts of pre-stated rules (notebook 07): never given a rule, so a re-run or a
#: variant that reaches another verdict fails verification instead of widening it.
VERDICT_PARTS = ("verdict", "verdicts", "sentence")


def is_verdict(leaf: str) -> bool:
    return any(part in VERDICT_PARTS for part in leaf.split("/"))


def derive_rule(committed: Any, observed: Mapping[str, Any], choice: bool = False) -> dict | None:
    """The rule for one leaf from its committed value and each variant's value.

    ``None`` when no variant moved it beyond the numerical comparison (the default).
    ``choice``: compare as a choice (``one_of``) even if the values are numbers.
    """
    numeric = (
        not choice
        and verify.is_number(committed)
        and all(verify.is_number(v) for v in observed.values())
    )
    if numeric:
        moves = {name: abs(float(value) - float(committed)) for name, value in observed.items()}
        default = {"kind": "numerical" if isinstance(committed, float) else "exact"}
        if all(verify.agrees(committed, value, default) for value in observed.values()):
            return None
        largest = max(moves.values())
        tolerance = max(SAFETY * largest, RELATIVE_FLOOR * abs(float(committed)))
        return {
            "kind": "abs",
            "tolerance": float(f"{tolerance:.3g}"),
            "moves": {name: float(f"{move:.3g}") for name, move in moves.items()},
        }
    if all(value == committed for value in observed.values()):
        return None
    values = [committed]
    for value in observed.values():
        if value not in values:
            values.append(value)
    return {
        "kind": "one_of",
        "values": values,
        "moved_in": sorted(name for name, value in observed.items() if value != committed),
    }


def peer_name(leaf: str) -> str:
    """What a value measures, without which configuration: ``configs/*/test_accuracy`` for
    ``configs/relu/random/test_accuracy`` (the first and the last part of its path)."""
    parts = leaf.split("/")
    return parts[0] if len(parts) == 1 else f"{parts[0]}/*/{parts[-1]}"


def widen_to_peers(leaves: dict[str, dict]) -> None:
    """Raise each tolerance to ``SAFETY x`` the median largest move of its peers.

    With few seeds one value's own move can be small by chance (two runs that happen to
    land close); the values of the same name in the same notebook (the twelve test
    accuracies, the eighteen mean CV scores) show how far such a value typically moves.
    """
    by_peer: dict[str, list[float]] = {}
    for leaf, rule in leaves.items():
        if rule["kind"] == "abs":
            by_peer.setdefault(peer_name(leaf), []).append(max(rule["moves"].values()))
    for leaf, rule in leaves.items():
        if rule["kind"] != "abs":
            continue
        peers = sorted(by_peer[peer_name(leaf)])
        median = (
            peers[len(peers) // 2]
            if len(peers) % 2
            else ((peers[len(peers) // 2 - 1] + peers[len(peers) // 2]) / 2)
        )
        rule["peer_median_move"] = float(f"{median:.3g}")
        rule["tolerance"] = float(f"{max(rule['tolerance'], SAFETY * median):.3g}")


def derive(notebooks: Sequence[str] = MEASURED_NOTEBOOKS) -> dict:
    """The tolerance document for ``notebooks`` from build/tolerances/ (see the docstring)."""
    rules: dict[str, dict] = {}
    used: set[str] = set()
    for path in pipeline._resolve(list(notebooks)):
        name = pipeline.results_name(path)
        document = read_document(committed_path(name))
        committed = verify.flatten(verify.without_in_run_rules(document["results"]))
        measured = measured_results(name)
        if not measured and verify.in_run_rules(document["results"]):
            # its committed run carries tolerances measured from its own seeds (07)
            print(f"{name}: not measured; it keeps the tolerances of its own run")
            continue
        if not measured:
            raise SystemExit(
                f"error: no measurement of {name} under {relative(MEASURE_DIR)}: "
                f"run `python -m tools.tolerances measure` first"
            )
        used |= measured.keys()
        leaves = {}
        for leaf, value in committed.items():
            observed = {variant: flat[leaf] for variant, flat in measured.items() if leaf in flat}
            if is_setting(leaf) or is_verdict(leaf) or not observed:
                continue
            rule = derive_rule(value, observed, choice=is_choice(leaf))
            if rule is not None:
                leaves[leaf] = rule
        widen_to_peers(leaves)
        rules[name] = leaves
    add_conclusion_rules(rules)
    return {
        "schema_version": 1,
        "generated_by": "make tolerances (tools/tolerances.py); do not edit by hand",
        "method": (
            f"tolerance = {SAFETY:g} x the larger of the value's own largest move over "
            f"the variants and the median largest move of its peers (the values of "
            f"the same name in the same notebook that moved), at least "
            f"{RELATIVE_FLOOR:g} of the value; a value no variant moved is compared "
            f"exactly or to 1e-9 relative; a choice that moved must be one of the "
            f"outcomes seen"
        ),
        "variants": {
            name: {
                "env": VARIANTS[name].get("env", {}),
                "options": VARIANTS[name].get("options", {}),
                "kind": variant_kind(name),
                "about": VARIANTS[name]["about"],
            }
            for name in VARIANTS
            if name in used
        },
        "notebooks": rules,
    }


def add_conclusion_rules(rules: dict[str, dict]) -> None:
    """Rules for the grader's written conclusions (``conclusions/<key>``): each variant's
    results decide them as the committed ones do; a choice that moved is ``one_of``."""
    from tools.grading.questions import ITEMS
    from tools.grading.reference import CONCLUSION_NOTEBOOKS, decide_conclusions

    def payloads(folder: Path) -> dict[str, dict] | None:
        paths = [folder / f"{name}.json" for name in CONCLUSION_NOTEBOOKS]
        if not all(path.is_file() for path in paths):
            return None
        return {
            path.stem: json.loads(path.read_text(encoding="utf-8"))["results"] for path in paths
        }

    committed = decide_conclusions(payloads(RESULTS_DIR))
    observed: dict[str, dict[str, str]] = {item_id: {} for item_id in committed}
    for variant in VARIANTS:
        found = payloads(variant_dir(variant) / "results")
        if found is not None:
            for item_id, choice in decide_conclusions(found).items():
                observed[item_id][variant] = choice
    where = {item.id: (item.notebook, item.results_path) for item in ITEMS}
    for item_id, choice in committed.items():
        rule = derive_rule(choice, observed[item_id]) if observed[item_id] else None
        if rule is not None:
            notebook, path = where[item_id]
            rules.setdefault(notebook, {})[path] = rule


#: What set a tolerance, in TOLERANCES.md's words.
BECAUSE = {"machine": "machine", "seed": "seeds", "peers": "peers"}


def _setting(info: Mapping) -> str:
    parts = [f"{k}={v}" for k, v in info.get("env", {}).items()]
    parts += [f"{k}={v}" for k, v in info.get("options", {}).items()]
    return " (`" + " ".join(parts) + "`)" if parts else ""


def summary_markdown(document: Mapping) -> str:
    """results/TOLERANCES.md: every measured value, its largest move on another machine
    and under another seed (apart, so a reader sees which makes a tolerance wide), and
    its tolerance."""
    variants = document["variants"]
    kinds = {name: info.get("kind", "machine") for name, info in variants.items()}
    lines = [
        "# Tolerances of the trained numbers",
        "",
        "<!-- Generated by `make tolerances` (tools/tolerances.py); do not edit by hand. -->",
        "",
        f"How `make verify` compares a re-run with the committed run. Method: "
        f"{document['method']}.",
        "",
        "Variants measured (each a full re-run of the notebooks at the default profile, or "
        "a committed run of another host):",
        "",
    ]
    for kind, title in (("machine", "Machines"), ("seed", "Seeds")):
        lines.append(f"*{title}:*")
        lines.append("")
        lines += [
            f"- `{name}`: {info['about']}{_setting(info)}"
            for name, info in variants.items()
            if kinds[name] == kind
        ]
        lines.append("")
    lines += [
        "Columns: the largest move of a value over the machine variants and over the seed "
        "variants; `wide because` names what set its tolerance (`seeds`: a seed moved it "
        "further than any machine did, so the tolerance measures how chaotic its training "
        "is; `machine`; `peers`: the median move of the values of the same name).",
        "",
        "A value not listed below moved in no variant: it is compared exactly "
        "(integers, strings) or to 1e-9 relative (floats).",
        "",
    ]
    for notebook, leaves in document["notebooks"].items():
        committed = verify.flatten(read_document(committed_path(notebook))["results"])
        lines += [
            f"## {notebook}",
            "",
            f"{len(leaves)} of {len(committed)} values moved in some variant.",
            "",
        ]
        if not leaves:
            continue
        lines += [
            "| value | committed | machine move | seed move | peers' median move | allowed "
            "| wide because |",
            "|---|---|---|---|---|---|---|",
        ]
        for leaf, rule in sorted(leaves.items()):
            shown = committed.get(leaf, "(decided from the results)")
            if rule["kind"] == "abs":
                by_kind = {
                    kind: [m for v, m in rule["moves"].items() if kinds.get(v) == kind]
                    for kind in ("machine", "seed")
                }
                largest = {k: max(v) if v else None for k, v in by_kind.items()}
                cells = [f"{m:.3g}" if m is not None else "-" for m in largest.values()]
                peers = rule["peer_median_move"]
                own = {k: m or 0.0 for k, m in largest.items()}
                because = BECAUSE[max(("peers", peers), *own.items(), key=lambda kv: kv[1])[0]]
                lines.append(
                    f"| `{leaf}` | {shown!r} | {cells[0]} | {cells[1]} | {peers:.3g} | "
                    f"± {rule['tolerance']:.3g} | {because} |"
                )
            else:
                moved = {kinds.get(v, "machine") for v in rule["moved_in"]}
                cells = ["moved" if k in moved else "-" for k in ("machine", "seed")]
                allowed = "one of " + ", ".join(f"`{value}`" for value in rule["values"])
                because = " and ".join(BECAUSE[kind] for kind in sorted(moved)) or "-"
                lines.append(
                    f"| `{leaf}` | {shown!r} | {cells[0]} | {cells[1]} | - | {allowed} | "
                    f"{because} |"
                )
        lines.append("")
    return "\n".join(lines)


def derive_and_write(path: Path = TOLERANCES_FILE) -> None:
    document = derive()
    text = json.dumps(document, indent=1, sort_keys=True, allow_nan=False) + "\n"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    SUMMARY_FILE.write_text(summary_markdown(document), encoding="utf-8")
    for notebook, leaves in document["notebooks"].items():
        kinds = [rule["kind"] for rule in leaves.values()]
        print(
            f"{notebook}: {kinds.count('abs')} trained numbers with a tolerance, "
            f"{kinds.count('one_of')} trained choices"
        )
    print(
        f"wrote {relative(path)} and {relative(SUMMARY_FILE)} from "
        f"{len(document['variants'])} variants"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.tolerances",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("measure", help="run the notebooks under variants")
    run.add_argument(
        "variants",
        nargs="*",
        default=list(VARIANTS),
        choices=list(VARIANTS),
        help=f"which (default: all): {', '.join(VARIANTS)}",
    )
    run.add_argument("--notebooks", nargs="+", default=list(MEASURED_NOTEBOOKS))
    sub.add_parser("derive", help=f"write {relative(TOLERANCES_FILE)} from the measurements")
    args = parser.parse_args(argv)
    if args.command == "measure":
        failed = 0
        for variant in args.variants:
            failed += measure(variant, args.notebooks)
        return 1 if failed else 0
    derive_and_write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
