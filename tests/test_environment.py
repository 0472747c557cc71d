"""requirements.txt and environment.yml pin the same packages at the same versions.

environment.yml pins conda packages as ``name=version`` and, in its ``pip:`` block, PyPI
packages as ``name==version``; both count. Names compare as pip does (case, ``-``/``_``).
"""

import re

from helpers.paths import REPO_ROOT


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def _requirements() -> dict[str, str]:
    pins = {}
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[_name(name)] = version
    return pins


def _environment() -> dict[str, str]:
    pins = {}
    for line in (REPO_ROOT / "environment.yml").read_text().splitlines():
        match = re.match(r"^\s+-\s+([A-Za-z0-9_.-]+)==?([0-9][^\s#]*)", line)
        if match and match.group(1) != "python":
            pins[_name(match.group(1))] = match.group(2)
    return pins


def test_every_requirement_is_pinned():
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        assert not line or re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][^\s]*", line), line


def test_environment_yml_matches_requirements():
    assert _environment() == _requirements()


def test_environment_yml_python_matches_machine():
    assert re.search(
        r"^\s+-\s+python=3\.11$", (REPO_ROOT / "environment.yml").read_text(), re.MULTILINE
    )
