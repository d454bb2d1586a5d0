"""The bundle: one folder holding everything inference needs, with a sha256 per file.

`write_bundle` is stdlib + pydantic only, so training writes bundles with the same code that
inference reads them with. A bundle's identity is the sha256 of its manifest.json, which lists the
sha256 of every other file: one hash covers the whole folder.

A bundle may embed other bundles in sub-folders (the cart recommender carries the prescription
checker it filters with): the manifest's `bundles` pins each by its bundle hash, so the outer
hash still covers everything, and a nested bundle is verified like any other.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from runtime.errors import BundleError, ChecksumMismatch
from runtime.signing import SIGNATURE_NAME

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
# Pickle-based formats run code when loaded; a bundle must be data only.
FORBIDDEN_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".ckpt", ".npy", ".npz")


class TensorSpec(BaseModel):
    """Name, element type and shape of one ONNX graph input or output."""

    model_config = ConfigDict(extra="forbid")

    name: str
    dtype: str
    shape: list[int | str]


class Manifest(BaseModel):
    """manifest.json: what the bundle is, how it was made and how to use it."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    format_version: int = FORMAT_VERSION
    task: str
    name: str = Field(description="registered model name, e.g. 'triage'")
    architecture: str = Field(description="versioned architecture name, e.g. triage.tfidf_mlp.v1")
    bundle_version: str
    created_at: str
    git_commit: str | None = None
    training_config: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
    inputs: list[TensorSpec] = Field(default_factory=list)
    outputs: list[TensorSpec] = Field(default_factory=list)
    preprocessing: dict[str, Any] = Field(default_factory=dict)
    postprocessing: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    runtime_requires: dict[str, str] = Field(default_factory=dict)
    mlflow: dict[str, Any] | None = None
    files: dict[str, str] = Field(default_factory=dict)
    bundles: dict[str, str] = Field(
        default_factory=dict, description="sub-folder -> bundle hash of an embedded bundle"
    )


@dataclass(frozen=True)
class Bundle:
    """A loaded, verified bundle.

    Attributes:
        path: the bundle folder.
        manifest: the parsed manifest.
        bundle_hash: sha256 of manifest.json, the identity of the whole bundle.
    """

    path: Path
    manifest: Manifest
    bundle_hash: str

    @property
    def version(self) -> str:
        """The bundle version every prediction names."""
        return self.manifest.bundle_version

    def file(self, name: str) -> Path:
        """Return the path of a file the manifest lists.

        Raises:
            BundleError: when the manifest does not list the file.
        """
        if name not in self.manifest.files:
            raise BundleError(f"bundle {self.path}: manifest lists no file {name!r}")
        return self.path / name

    def nested(self, name: str) -> Bundle:
        """Load and verify an embedded bundle (a sub-folder the manifest pins by hash).

        Raises:
            BundleError: not listed, or its hash differs from the pinned one.
        """
        if name not in self.manifest.bundles:
            raise BundleError(f"bundle {self.path}: manifest embeds no bundle {name!r}")
        inner = load_bundle(self.path / name)
        if inner.bundle_hash != self.manifest.bundles[name]:
            raise BundleError(
                f"bundle {self.path}: embedded bundle {name!r} was replaced (manifest pins "
                f"{self.manifest.bundles[name]}, folder has {inner.bundle_hash})"
            )
        return inner

    def has_file(self, name: str) -> bool:
        """Whether the manifest lists a file of this name."""
        return name in self.manifest.files

    def read_json(self, name: str) -> Any:
        """Parse a JSON file of the bundle."""
        try:
            return json.loads(self.file(name).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise BundleError(f"bundle {self.path}: {name} is not valid JSON: {exc}") from exc

    def read_jsonl(self, name: str) -> list[Any]:
        """Parse a JSON-lines file of the bundle, one object per non-empty line."""
        rows = []
        for number, line in enumerate(self.file(name).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise BundleError(f"bundle {self.path}: {name} line {number}: {exc}") from exc
        return rows


def sha256_file(path: Path) -> str:
    """Return 'sha256:<hex>' of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _check_file_name(name: str) -> None:
    if "/" in name or "\\" in name or name in {"", ".", "..", MANIFEST_NAME, SIGNATURE_NAME}:
        raise BundleError(f"bad bundle file name {name!r}: flat names only, not {MANIFEST_NAME}")
    if name.lower().endswith(FORBIDDEN_SUFFIXES):
        raise BundleError(
            f"file {name!r}: pickle, joblib and torch files are not allowed in a bundle"
        )


def write_bundle(
    directory: str | Path,
    manifest: Mapping[str, Any] | Manifest,
    files: Mapping[str, bytes | str | Path],
    bundles: Mapping[str, str | Path] | None = None,
) -> Bundle:
    """Write a bundle folder atomically and return it loaded and verified.

    The folder is first written under a temporary name next to `directory` and renamed into
    place, so a reader never sees a half-written bundle.

    Args:
        directory: the bundle folder to create; it must not exist yet.
        manifest: the manifest without `files` (any given `files` entry is replaced).
        files: file name -> content (bytes, text, or a path to copy).
        bundles: sub-folder name -> an existing bundle folder to embed (copied and pinned).

    Returns:
        The written bundle, loaded back through `load_bundle`.

    Raises:
        BundleError: when the folder exists, a file name is not allowed, or the manifest is invalid.
    """
    directory = Path(directory)
    if directory.exists():
        raise BundleError(f"{directory} already exists; bundles are immutable, pick a new version")
    data = manifest.model_dump() if isinstance(manifest, Manifest) else dict(manifest)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        data["files"] = _write_files(staging, files)
        data["bundles"] = _embed_bundles(staging, bundles or {}, data["files"])
        _write_manifest(staging, data, directory)
        os.rename(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("wrote bundle %s (%d files)", directory, len(files))
    return load_bundle(directory)


def _write_files(staging: Path, files: Mapping[str, bytes | str | Path]) -> dict[str, str]:
    """Write each file into the staging folder; returns file name -> sha256."""
    checksums: dict[str, str] = {}
    for name, content in sorted(files.items()):
        _check_file_name(name)
        target = staging / name
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        elif isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)
        checksums[name] = sha256_file(target)
    return checksums


def _embed_bundles(
    staging: Path, bundles: Mapping[str, str | Path], checksums: Mapping[str, str]
) -> dict[str, str]:
    """Copy each embedded bundle (verified on load) into the staging folder; returns sub-folder
    name -> the copy's bundle hash, which pins it."""
    pinned: dict[str, str] = {}
    for name, source in sorted(bundles.items()):
        _check_file_name(name)
        if name in checksums:
            raise BundleError(f"{name!r} is both a file and an embedded bundle")
        inner = load_bundle(source)
        shutil.copytree(inner.path, staging / name, symlinks=False)
        pinned[name] = load_bundle(staging / name).bundle_hash
    return pinned


def _write_manifest(staging: Path, data: dict[str, Any], directory: Path) -> None:
    """Validate the manifest (errors name the final folder) and write it into staging."""
    try:
        parsed = Manifest.model_validate(data)
    except ValidationError as exc:
        raise BundleError(f"invalid manifest for {directory}: {exc}") from exc
    (staging / MANIFEST_NAME).write_text(
        json.dumps(parsed.model_dump(), ensure_ascii=False, indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )


def load_bundle(path: str | Path, *, expected_task: str | None = None) -> Bundle:
    """Load a bundle and verify every file against the manifest's sha256.

    Args:
        path: the bundle folder.
        expected_task: when given, the manifest's task must equal it.

    Returns:
        The verified bundle.

    Raises:
        BundleError: missing folder or manifest, invalid manifest, a listed file missing, an
            unlisted file present, or the wrong task.
        ChecksumMismatch: a file differs from its recorded sha256 (the message names the file).
    """
    path = Path(path)
    manifest_path = path / MANIFEST_NAME
    if not manifest_path.is_file():
        raise BundleError(f"{path} is not a bundle: no {MANIFEST_NAME}")
    raw = manifest_path.read_bytes()
    try:
        manifest = Manifest.model_validate_json(raw)
    except ValidationError as exc:
        raise BundleError(f"bundle {path}: invalid {MANIFEST_NAME}: {exc}") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise BundleError(
            f"bundle {path}: format_version {manifest.format_version}, this code reads "
            f"{FORMAT_VERSION}"
        )
    if expected_task is not None and manifest.task != expected_task:
        raise BundleError(f"bundle {path} is a {manifest.task!r} bundle, not {expected_task!r}")
    # manifest.sig signs the manifest, so the manifest cannot list it (runtime/signing.py)
    present = {p.name for p in path.iterdir()} - {MANIFEST_NAME, SIGNATURE_NAME}
    unlisted = sorted(present - set(manifest.files) - set(manifest.bundles))
    if unlisted:
        raise BundleError(f"bundle {path}: files not in the manifest: {', '.join(unlisted)}")
    for name, expected in sorted(manifest.files.items()):
        _check_file_name(name)
        file_path = path / name
        if file_path.is_symlink():
            # its sha256 would vouch for whatever the link points at, inside the folder or not
            raise BundleError(f"bundle {path}: file {name!r} is a symbolic link")
        if not file_path.is_file():
            raise BundleError(f"bundle {path}: file {name!r} listed in the manifest is missing")
        actual = sha256_file(file_path)
        if actual != expected:
            raise ChecksumMismatch(str(path), name, expected, actual)
    for name in manifest.bundles:
        _check_file_name(name)  # no "../", no absolute path: an embedded bundle is a sub-folder
        if (path / name).is_symlink():
            raise BundleError(f"bundle {path}: embedded bundle {name!r} is a symbolic link")
        if not (path / name / MANIFEST_NAME).is_file():
            raise BundleError(f"bundle {path}: embedded bundle {name!r} is missing")
    return Bundle(
        path=path, manifest=manifest, bundle_hash="sha256:" + hashlib.sha256(raw).hexdigest()
    )
