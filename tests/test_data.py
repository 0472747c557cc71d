"""The data layer: IDX reader, digest verification, mirror copies and real HTTP downloads.

Every test builds its own small IDX files and a toy dataset entry with their digests,
so nothing here depends on the real datasets (those are covered by the notebooks).
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from helpers import data
from helpers.data import (
    IMAGES_MAGIC,
    LABELS_MAGIC,
    DataError,
    Dataset,
    DatasetFile,
    DigestMismatchError,
    ensure_file,
    read_idx,
    read_idx_bytes,
)


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as IDX (the format the reader parses)."""
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


IMAGES = np.arange(3 * 28 * 28, dtype=np.uint64).reshape(3, 28, 28).astype(np.uint8)
LABELS = np.array([7, 2, 1], dtype=np.uint8)


# --------------------------------------------------------------------------- IDX reader


def test_reader_round_trip(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(IMAGES)))
    np.testing.assert_array_equal(read_idx(path, IMAGES_MAGIC), IMAGES)
    labels = tmp_path / "labels"
    labels.write_bytes(idx_bytes(LABELS))
    np.testing.assert_array_equal(read_idx(labels, LABELS_MAGIC), LABELS)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x00\x00", "too short"),
        (b"\x01\x00\x08\x01" + (3).to_bytes(4, "big") + b"abc", "bad IDX magic"),
        (b"\x00\x00\x0d\x01" + (3).to_bytes(4, "big") + b"abc", "unsupported IDX type"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x00\x00\x08\x03" + (3).to_bytes(4, "big"), "truncated IDX header"),
        (idx_bytes(IMAGES)[:-1], "truncated"),
        (idx_bytes(LABELS) + b"\x00", "trailing bytes"),
    ],
)
def test_reader_rejects_malformed(raw, message):
    with pytest.raises(DataError, match=message) as info:
        read_idx_bytes(raw, "toy/file.gz")
    assert "toy/file.gz" in str(info.value)


def test_reader_checks_kind(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(LABELS))
    with pytest.raises(DataError, match="expected 0x00000803"):
        read_idx(path, IMAGES_MAGIC)


def test_truncated_gzip_names_file(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(IMAGES))[:-20])
    with pytest.raises(DataError, match="images.gz.*truncated"):
        read_idx(path)


# ------------------------------------------------------------------ toy dataset fixture


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A dataset 'toy' with one file, a mirror folder holding it, and an empty data dir."""
    raw = idx_bytes(IMAGES)
    gz = gzip.compress(raw, mtime=0)
    spec = DatasetFile(
        "t10k-images-idx3-ubyte.gz", hashlib.sha256(raw).hexdigest(), hashlib.sha256(gz).hexdigest()
    )
    monkeypatch.setitem(data.DATASETS, "toy", Dataset("toy", (), {spec.name: spec}))
    mirror = tmp_path / "mirror"
    (mirror / "toy").mkdir(parents=True)
    (mirror / "toy" / spec.name).write_bytes(gz)
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "no-debian")
    return {"spec": spec, "gz": gz, "mirror": mirror, "data_dir": tmp_path / "data"}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def test_copy_from_mirror_verifies(toy):
    path = ensure_file("toy", toy["spec"].name, toy["data_dir"], mirror=toy["mirror"])
    assert path == toy["data_dir"] / "toy" / toy["spec"].name
    assert path.read_bytes() == toy["gz"]
    assert _leftovers(toy["data_dir"] / "toy") == [toy["spec"].name]


def test_recompressed_copy_is_accepted(toy):
    """The raw digest is what counts, so another gzip of the same bytes verifies."""
    other = gzip.compress(idx_bytes(IMAGES), compresslevel=1, mtime=12345)
    assert other != toy["gz"]
    (toy["mirror"] / "toy" / toy["spec"].name).write_bytes(other)
    assert (
        ensure_file("toy", toy["spec"].name, toy["data_dir"], mirror=toy["mirror"]).read_bytes()
        == other
    )


def test_corrupt_mirror_file_fails_and_leaves_nothing(toy):
    corrupt = gzip.compress(idx_bytes(IMAGES[::-1]), mtime=0)
    (toy["mirror"] / "toy" / toy["spec"].name).write_bytes(corrupt)
    with pytest.raises(DigestMismatchError) as info:
        ensure_file("toy", toy["spec"].name, toy["data_dir"], mirror=toy["mirror"])
    message = str(info.value)
    assert toy["spec"].raw_sha256 in message  # expected digest
    assert hashlib.sha256(idx_bytes(IMAGES[::-1])).hexdigest() in message  # actual digest
    assert "make data" in message
    assert _leftovers(toy["data_dir"] / "toy") == []


def test_one_flipped_byte_in_gz_is_caught(toy):
    damaged = bytearray(toy["gz"])
    damaged[len(damaged) // 2] ^= 0xFF
    (toy["mirror"] / "toy" / toy["spec"].name).write_bytes(bytes(damaged))
    with pytest.raises(DigestMismatchError, match="(?s)mirror/toy/.*expected") as info:
        ensure_file("toy", toy["spec"].name, toy["data_dir"], mirror=toy["mirror"])
    assert toy["spec"].raw_sha256 in str(info.value)
    assert _leftovers(toy["data_dir"] / "toy") == []


def test_already_fetched_file_is_verified(toy):
    target = ensure_file("toy", toy["spec"].name, toy["data_dir"], mirror=toy["mirror"])
    target.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + (1).to_bytes(4, "big") + b"\x05"))
    with pytest.raises(DigestMismatchError, match="expected"):
        ensure_file("toy", toy["spec"].name, toy["data_dir"], mirror=toy["mirror"])


def test_unknown_dataset_and_file(toy):
    with pytest.raises(DataError, match="unknown dataset"):
        ensure_file("cifar", "x.gz", toy["data_dir"], mirror=toy["mirror"])
    with pytest.raises(DataError, match="no file"):
        ensure_file("toy", "nope.gz", toy["data_dir"], mirror=toy["mirror"])


# ----------------------------------------------------------------- real HTTP downloads


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        name = self.path.lstrip("/")
        if name.startswith("short/"):  # promise more bytes than are sent, then hang up
            body = self.files[name.removeprefix("short/")]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
            return
        if name not in self.files:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.files[name])))
        self.end_headers()
        self.wfile.write(self.files[name])

    def log_message(self, *args):
        pass


@pytest.fixture
def server(toy, monkeypatch):
    """A real HTTP server on 127.0.0.1 serving good, corrupted and truncated copies."""
    name = toy["spec"].name
    handler = type(
        "Handler",
        (_Handler,),
        {
            "files": {
                f"good/{name}": toy["gz"],
                f"corrupt/{name}": gzip.compress(idx_bytes(IMAGES[::-1]), mtime=0),
                f"truncated/{name}": toy["gz"][: len(toy["gz"]) // 2],
                name: toy["gz"],
            }
        },
    )
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_download_good_file(toy, server):
    path = ensure_file("toy", toy["spec"].name, toy["data_dir"], urls=[server + "good/"])
    assert path.read_bytes() == toy["gz"]
    assert _leftovers(toy["data_dir"] / "toy") == [toy["spec"].name]


def test_download_corrupted_file_is_rejected(toy, server):
    with pytest.raises(DigestMismatchError, match="corrupt/"):
        ensure_file("toy", toy["spec"].name, toy["data_dir"], urls=[server + "corrupt/"])
    assert _leftovers(toy["data_dir"] / "toy") == []


def test_download_truncated_file_is_rejected(toy, server):
    with pytest.raises(DataError, match="truncated"):
        ensure_file("toy", toy["spec"].name, toy["data_dir"], urls=[server + "truncated/"])
    assert _leftovers(toy["data_dir"] / "toy") == []


def test_connection_cut_short_falls_through_to_next_url(toy, server):
    """A download that stops early is an error for that URL; the next URL is tried."""
    path = ensure_file(
        "toy", toy["spec"].name, toy["data_dir"], urls=[server + "short/", server + "good/"]
    )
    assert path.read_bytes() == toy["gz"]


def test_unreachable_url_gives_clear_error(toy, server):
    dead = f"http://127.0.0.1:{_closed_port()}/"
    with pytest.raises(DataError, match="not available.*DATA_MIRROR") as info:
        ensure_file("toy", toy["spec"].name, toy["data_dir"], urls=[dead], timeout=5)
    assert dead in str(info.value)
    assert _leftovers(toy["data_dir"] / "toy") == []


def test_second_mirror_url_is_used(toy, server):
    dead = f"http://127.0.0.1:{_closed_port()}/"
    path = ensure_file("toy", toy["spec"].name, toy["data_dir"], urls=[dead, server])
    assert path.read_bytes() == toy["gz"]


# ----------------------------------------------------------------------------- loaders


def test_fashion_sizes_are_validated():
    with pytest.raises(ValueError, match="n_train"):
        data.load_fashion_mnist(0, 10)
    with pytest.raises(ValueError, match="n_test"):
        data.load_fashion_mnist(10, 10_001)


def test_profile_file_lists():
    default = data.files_for_profile("default")
    assert ("mnist", "train-images-idx3-ubyte.gz") not in default
    assert ("mnist", "train-images-idx3-ubyte.gz") in data.files_for_profile("full")
    for profile in ("smoke", "default", "full"):  # notebook 03 reads all 70,000 labels
        files = data.files_for_profile(profile)
        assert ("mnist", "train-labels-idx1-ubyte.gz") in files
        assert len(files) == len(set(files))
    assert all(f in data.DATASETS[d].files for d, f in data.files_for_profile("full"))
    with pytest.raises(ValueError, match="unknown profile"):
        data.files_for_profile("huge")


def test_pinned_digests_are_well_formed():
    for dataset in data.DATASETS.values():
        for spec in dataset.files.values():
            kind, digest = spec.pinned
            assert len(digest) == 64 and int(digest, 16) >= 0


def test_splits_arrays_are_the_six_fields_by_name():
    arrays = [np.full((2, 3), i, dtype=float) for i in range(6)]
    splits = data.Splits(*arrays)
    shared = splits.arrays()
    assert list(shared) == ["X_train", "y_train", "X_val", "y_val", "X_test", "y_test"]
    assert all(shared[name] is array for name, array in zip(shared, arrays, strict=True))
    assert splits.eval_sets()["validation"] == (arrays[2], arrays[3])
