"""Atomic writes (helpers/files.py): a reader never sees half a file."""

import pytest

from helpers import files


def test_writes_text_and_bytes_readable_by_everyone(tmp_path):
    text = files.atomic_write(tmp_path / "sub" / "a.txt", "caf\u00e9\n")
    assert text.read_bytes() == "caf\u00e9\n".encode()
    assert files.atomic_write(tmp_path / "b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    assert text.stat().st_mode & 0o777 == 0o644


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "REPORT.md"
    target.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        files.atomic_write(target, b"new")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]
