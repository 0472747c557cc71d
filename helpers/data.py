"""Verified MNIST and Fashion-MNIST files, and a strict IDX reader.

Where a file comes from, in this order (the first source that has it wins):

1. ``data/<dataset>/<file>``: already fetched;
2. ``$DATA_MIRROR/<dataset>/<file>``: a local mirror laid out like ``../shared/datasets``;
3. ``/usr/share/datasets/<dataset>/<file>``: Debian's ``dataset-fashion-mnist`` package;
4. the official URLs (MNIST has a second mirror).

Every file is checked against its pinned SHA-256 before use: the digest of its
*decompressed* bytes where that is pinned (it does not depend on how the file was
compressed), otherwise the digest of the ``.gz`` as published. A copy or download is
written to a temporary file inside ``data/<dataset>/`` and renamed into place only
after it verified, so a failure never leaves a half-written file. A file that does
not verify is an error, never silently replaced by another source's copy.

Command line (``make data`` calls it)::

    python -m helpers.data fetch --profile default

Length: about 540 lines, a little over the repository's guide of 500, because every
path from a file to an array (mirror, download, digest, IDX parsing, the splits) goes
through this one module's checks; split, a loader could bypass them.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from helpers.paths import DATA_DIR, relative
from helpers.profiles import get_profile

MIRROR_ENV = "DATA_MIRROR"
DEBIAN_DIR = Path("/usr/share/datasets")

IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension
_IDX_TYPES = {0x08: np.dtype(np.uint8)}

FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


@dataclass(frozen=True)
class DatasetFile:
    """One official file and its pinned digests (``None``: not pinned)."""

    name: str
    raw_sha256: str | None
    gz_sha256: str | None

    @property
    def pinned(self) -> tuple[str, str]:
        """``(kind, digest)``: what :func:`verify_file` checks."""
        if self.raw_sha256:
            return "raw", self.raw_sha256
        if self.gz_sha256:
            return "gz", self.gz_sha256
        raise ValueError(f"{self.name}: no digest pinned")


@dataclass(frozen=True)
class Dataset:
    name: str
    urls: tuple[str, ...]  # base URLs, tried in order; the file name is appended
    files: dict[str, DatasetFile]


# Digests from ../shared/datasets/README.md (the official files).
DATASETS: dict[str, Dataset] = {
    "mnist": Dataset(
        name="mnist",
        urls=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        files={
            f.name: f
            for f in (
                DatasetFile(
                    "train-images-idx3-ubyte.gz",
                    None,
                    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                ),
                DatasetFile(
                    "train-labels-idx1-ubyte.gz",
                    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                ),
                DatasetFile(
                    "t10k-images-idx3-ubyte.gz",
                    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                ),
                DatasetFile(
                    "t10k-labels-idx1-ubyte.gz",
                    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                ),
            )
        },
    ),
    "fashion-mnist": Dataset(
        name="fashion-mnist",
        urls=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        files={
            f.name: f
            for f in (
                DatasetFile(
                    "train-images-idx3-ubyte.gz",
                    "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                    "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                ),
                DatasetFile(
                    "train-labels-idx1-ubyte.gz",
                    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                    "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                ),
                DatasetFile(
                    "t10k-images-idx3-ubyte.gz",
                    "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                    None,
                ),
                DatasetFile(
                    "t10k-labels-idx1-ubyte.gz",
                    "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                ),
            )
        },
    ),
}


@dataclass(frozen=True)
class Splits:
    """Train/validation/test arrays of one dataset: ``X_*`` float64 ``(n, 784)`` pixels in
    [0, 1], ``y_*`` int labels (MNIST in notebook 03, Fashion-MNIST in 04-06)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "validation": len(self.y_val), "test": len(self.y_test)}

    def arrays(self) -> dict[str, np.ndarray]:
        """The six arrays by field name (``X_train`` ... ``y_test``): the keyword arguments
        of a task that gets them as shared data (:func:`helpers.parallel.run_tasks`)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}

    def eval_sets(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{"train": (X, y), "validation": ..., "test": ...}``."""
        return {
            "train": (self.X_train, self.y_train),
            "validation": (self.X_val, self.y_val),
            "test": (self.X_test, self.y_test),
        }


class DataError(RuntimeError):
    """A dataset file is missing, corrupt, truncated or malformed (the message says which)."""


class DigestMismatchError(DataError):
    """A file's SHA-256 is not the pinned one."""


# --------------------------------------------------------------------------- IDX reader


def read_idx_bytes(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse decompressed IDX bytes into an array, validating everything.

    Layout: two zero bytes, a type code (``0x08`` = unsigned byte), the number of
    dimensions ``d``, then ``d`` big-endian uint32 sizes, then exactly
    ``prod(sizes)`` items. Raises :class:`DataError` naming ``source`` otherwise.
    """
    if len(raw) < 4:
        raise DataError(f"{source}: only {len(raw)} bytes, too short for an IDX header")
    if raw[0] != 0 or raw[1] != 0:
        raise DataError(
            f"{source}: bad IDX magic number 0x{int.from_bytes(raw[:4], 'big'):08x} "
            "(expected 0x00000801 for labels or 0x00000803 for images)"
        )
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_TYPES:
        raise DataError(f"{source}: unsupported IDX type code 0x{type_code:02x} (expected 0x08)")
    if ndim == 0:
        raise DataError(f"{source}: IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise DataError(f"{source}: truncated IDX header ({len(raw)} of {header_len} bytes)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header_len
    if actual != expected:
        what = "truncated" if actual < expected else "has trailing bytes"
        raise DataError(
            f"{source}: {what}: header says shape {shape} ({expected:,} data bytes) "
            f"but the file holds {actual:,}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header_len).reshape(shape)


def decompress(path: Path) -> bytes:
    """The decompressed bytes of a ``.gz`` file, with a clear error when it is damaged."""
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read()
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise DataError(
            f"{relative(path)}: not a valid gzip file or truncated ({exc}); "
            "delete it and run `make data` again"
        ) from exc


def read_idx(path: Path | str, expect_magic: int | None = None) -> np.ndarray:
    """Read an IDX file (``.gz`` or plain) into a NumPy array, validating it.

    ``expect_magic`` (``IMAGES_MAGIC`` or ``LABELS_MAGIC``) also checks the kind.
    """
    path = Path(path)
    raw = decompress(path) if path.suffix == ".gz" else path.read_bytes()
    array = read_idx_bytes(raw, relative(path))
    if expect_magic is not None:
        magic = int.from_bytes(raw[:4], "big")
        if magic != expect_magic:
            raise DataError(
                f"{relative(path)}: IDX magic 0x{magic:08x}, expected 0x{expect_magic:08x}"
            )
    return array


# ------------------------------------------------------------------------- verification


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, spec: DatasetFile, shown_as: str | None = None) -> str:
    """Check ``path`` against ``spec``'s pinned digest; return the verified digest.

    Raises :class:`DigestMismatchError` naming the file (``shown_as``: where it came
    from), the expected and the actual digest, and what to do. A ``.gz`` that does not
    even decompress is the same error: its decompressed digest cannot match.
    """
    name = shown_as or relative(path)
    kind, expected = spec.pinned
    advice = (
        "The file is corrupt, truncated or a different file. Delete it (or fix the "
        "source it came from) and run `make data` again."
    )
    if kind == "raw":
        try:
            raw = decompress(path)
        except DataError as exc:
            raise DigestMismatchError(
                f"{name}: does not decompress ({exc.__cause__}), so it cannot match the "
                f"pinned digest of {spec.name}\n  expected {expected} (decompressed bytes)\n"
                f"  actual   {sha256_file(path)} (the .gz as it is)\n{advice}"
            ) from exc
        actual = sha256_bytes(raw)
    else:
        actual = sha256_file(path)
    if actual != expected:
        what = "decompressed bytes" if kind == "raw" else "gzip file"
        raise DigestMismatchError(
            f"{name}: SHA-256 of the {what} does not match the pinned digest of "
            f"{spec.name}\n  expected {expected}\n  actual   {actual}\n{advice}"
        )
    return actual


# ------------------------------------------------------------------------------ sources


def mirror_dirs(dataset: str, mirror: str | Path | None = None) -> list[Path]:
    """Local folders to copy from, in order: ``<mirror>/<dataset>``, Debian's."""
    dirs = []
    if mirror:
        dirs.append(Path(mirror) / dataset)
    dirs.append(DEBIAN_DIR / dataset)
    return dirs


def _progress_printer(label: str) -> Callable[[int, int | None], None]:
    state = {"next": 0}

    def report(done: int, total: int | None) -> None:
        if total:
            percent = 100 * done // total
            if percent >= state["next"] or done == total:
                print(f"  {label}: {percent:3d}% of {total / 1e6:.1f} MB", file=sys.stderr)
                state["next"] = percent - percent % 10 + 10
        elif done >= state["next"]:
            print(f"  {label}: {done / 1e6:.1f} MB", file=sys.stderr)
            state["next"] = done + 5_000_000

    return report


def _download(url: str, target: Path, timeout: float, label: str) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "nn-svm-coursework"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        total = response.headers.get("Content-Length")
        total = int(total) if total and total.isdigit() else None
        report = _progress_printer(label)
        done = 0
        with open(target, "wb") as out:
            while chunk := response.read(1 << 16):
                out.write(chunk)
                done += len(chunk)
                report(done, total)
        if total is not None and done != total:
            raise DataError(f"{url}: connection closed after {done:,} of {total:,} bytes")


def ensure_file(
    dataset: str,
    filename: str,
    data_dir: Path = DATA_DIR,
    urls: Sequence[str] | None = None,
    timeout: float = 60.0,
    mirror: str | Path | None = None,
) -> Path:
    """Return the verified path of ``data_dir/<dataset>/<filename>``, fetching it if needed.

    Sources, first match wins: ``data_dir`` itself, ``mirror`` (a folder laid out like
    ``<dataset>/<file>.gz``), Debian's ``dataset-fashion-mnist`` folder, the official
    URLs (``urls`` overrides them; tests use a local server).
    """
    if dataset not in DATASETS:
        raise DataError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASETS)}")
    spec = DATASETS[dataset].files.get(filename)
    if spec is None:
        raise DataError(f"{dataset} has no file {filename!r}")
    target_dir = Path(data_dir) / dataset
    target = target_dir / filename
    if target.exists():
        verify_file(target, spec)
        return target

    target_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target_dir, prefix=f".{filename}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        for folder in mirror_dirs(dataset, mirror):
            candidate = folder / filename
            if candidate.is_file():
                print(f"  {dataset}/{filename}: copying from {candidate}", file=sys.stderr)
                shutil.copyfile(candidate, tmp)
                verify_file(tmp, spec, shown_as=str(candidate))
                _publish(tmp, target)
                return target
        errors = []
        for base in urls if urls is not None else DATASETS[dataset].urls:
            url = base + filename
            print(f"  {dataset}/{filename}: downloading {url}", file=sys.stderr)
            try:
                _download(url, tmp, timeout, f"{dataset}/{filename}")
            except (urllib.error.URLError, OSError, DataError) as exc:
                errors.append(f"{url}: {getattr(exc, 'reason', exc)}")
                continue
            verify_file(tmp, spec, shown_as=url)
            _publish(tmp, target)
            return target
        tried = "\n  ".join(errors) or "no URL to try"
        hint = ""
        if (dataset, filename) == ("mnist", "train-images-idx3-ubyte.gz"):
            hint = (
                "\nThe 60,000 MNIST training images are needed only by the `full` profile and "
                "are in no offline mirror: run `make data PROFILE=full` with internet access, "
                "or use PROFILE=default."
            )
        raise DataError(
            f"{dataset}/{filename} is not available: not in {relative(target_dir)}/, not in "
            f"a local mirror (set {MIRROR_ENV} to a folder laid out like "
            f"../shared/datasets), and the download failed:\n  {tried}{hint}"
        )
    finally:
        tmp.unlink(missing_ok=True)


def _publish(tmp: Path, target: Path) -> None:
    """Move a verified temporary file into place (atomic on one file system)."""
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)


# ----------------------------------------------------------------------------- loaders

MNIST_SPLITS = {"train": "train", "t10k": "t10k"}


def load_idx_pair(dataset: str, split: str, data_dir: Path = DATA_DIR):
    """Images ``(n, 784) uint8`` and labels ``(n,) int64`` of one official split.

    ``split`` is ``"train"`` or ``"t10k"``. Files are fetched and verified first.
    """
    if split not in MNIST_SPLITS:
        raise ValueError(f"unknown split {split!r}: choose 'train' or 't10k'")
    images_path = ensure_file(dataset, f"{split}-images-idx3-ubyte.gz", data_dir)
    labels_path = ensure_file(dataset, f"{split}-labels-idx1-ubyte.gz", data_dir)
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{dataset} {split}: {images.shape[0]} images but {labels.shape[0]} labels")
    if labels.max(initial=0) > 9:
        raise DataError(f"{dataset} {split}: label {labels.max()} outside 0..9")
    return images.reshape(images.shape[0], -1), labels.astype(np.int64)


def mnist_pool_splits(profile: str) -> tuple[str, ...]:
    """Official MNIST splits that form the profile's sample pool."""
    return tuple(get_profile(profile)["mnist_pool"].split("+"))


def load_mnist_pool(profile: str, data_dir: Path = DATA_DIR):
    """The profile's MNIST sample pool: ``(X uint8 (n, 784), y int64 (n,))``.

    default/smoke: the official 10,000-image t10k file (smoke: its first
    ``mnist_pool_size`` images); full: train and t10k concatenated (70,000 images,
    needs the training images file, which only a download provides).
    """
    sizes = get_profile(profile)
    parts = [load_idx_pair("mnist", split, data_dir) for split in mnist_pool_splits(profile)]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    limit = sizes["mnist_pool_size"]
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return images, labels


def load_fashion_mnist(n_train: int, n_test: int, data_dir: Path = DATA_DIR):
    """The first ``n_train`` official training and first ``n_test`` test images.

    Returns ``((X_train, y_train), (X_test, y_test))``: uint8 ``(n, 784)`` pixels and
    int64 labels.
    """
    for name, n, limit in (("n_train", n_train, 60_000), ("n_test", n_test, 10_000)):
        if not isinstance(n, (int, np.integer)) or not 1 <= n <= limit:
            raise ValueError(f"{name} must be an integer in 1..{limit}, got {n!r}")
    x_train, y_train = load_idx_pair("fashion-mnist", "train", data_dir)
    x_test, y_test = load_idx_pair("fashion-mnist", "t10k", data_dir)
    return (x_train[:n_train], y_train[:n_train]), (x_test[:n_test], y_test[:n_test])


# ------------------------------------------------------------------------------- fetch


def files_for_profile(profile: str) -> list[tuple[str, str]]:
    """``(dataset, file)`` pairs the profile's notebooks read.

    Every profile needs the MNIST *training labels*: notebook 03 rebuilds the original's
    split of all 70,000 labels (:func:`helpers.scratch_original.original_split_labels`);
    only ``full`` needs the training images.
    """
    needed = []
    for split in mnist_pool_splits(profile):
        needed += [
            ("mnist", f"{split}-images-idx3-ubyte.gz"),
            ("mnist", f"{split}-labels-idx1-ubyte.gz"),
        ]
    if ("mnist", "train-labels-idx1-ubyte.gz") not in needed:
        needed.append(("mnist", "train-labels-idx1-ubyte.gz"))
    for split in ("train", "t10k"):
        needed += [
            ("fashion-mnist", f"{split}-images-idx3-ubyte.gz"),
            ("fashion-mnist", f"{split}-labels-idx1-ubyte.gz"),
        ]
    return needed


def fetch(profile: str, data_dir: Path = DATA_DIR, mirror: str | Path | None = None) -> list[Path]:
    """Make sure every file the profile needs is in ``data_dir`` and verified (copied
    from ``mirror`` when it has them, see :func:`ensure_file`)."""
    needed = files_for_profile(profile)
    print(f"Checking {len(needed)} dataset files for profile {profile!r}", file=sys.stderr)
    paths = []
    for i, (dataset, filename) in enumerate(needed, 1):
        path = ensure_file(dataset, filename, data_dir, mirror=mirror)
        print(f"[{i}/{len(needed)}] {dataset}/{filename}: verified", file=sys.stderr)
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.data", description="Fetch and verify the datasets."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    fetch_cmd = sub.add_parser("fetch", help="fetch and verify what a profile needs")
    fetch_cmd.add_argument("--profile", default="default")
    fetch_cmd.add_argument(
        "--mirror",
        default="",
        help="a folder laid out like <dataset>/<file>.gz to copy from (make passes DATA_MIRROR)",
    )
    args = parser.parse_args(argv)
    try:
        get_profile(args.profile)
        fetch(args.profile, mirror=args.mirror or None)
    except (DataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
