"""Bundle writing, checksums and refusal of altered, unlisted or pickle files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from runtime.bundle import MANIFEST_NAME, load_bundle, write_bundle
from runtime.errors import BundleError, ChecksumMismatch

MANIFEST = {
    "task": "demo",
    "name": "demo",
    "architecture": "demo.identity.v1",
    "bundle_version": "20260101-000000-abcdef0",
    "created_at": "2026-01-01T00:00:00+00:00",
}


def _write(tmp_path: Path) -> Path:
    write_bundle(tmp_path / "b", MANIFEST, {"labels.json": '["a", "b"]', "blob.bin": b"\x00\x01"})
    return tmp_path / "b"


def test_bundle_round_trip_lists_a_sha256_per_file(tmp_path: Path) -> None:
    bundle = load_bundle(_write(tmp_path))
    assert set(bundle.manifest.files) == {"labels.json", "blob.bin"}
    assert all(v.startswith("sha256:") for v in bundle.manifest.files.values())
    assert bundle.read_json("labels.json") == ["a", "b"]
    assert bundle.bundle_hash.startswith("sha256:")


def test_bundle_altered_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path)
    (path / "labels.json").write_text('["a", "c"]')
    with pytest.raises(ChecksumMismatch, match=r"labels.json"):
        load_bundle(path)


def test_bundle_unlisted_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path)
    (path / "model.pkl").write_bytes(b"x")
    with pytest.raises(BundleError, match=r"model.pkl"):
        load_bundle(path)


def test_bundle_missing_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path)
    (path / "blob.bin").unlink()
    with pytest.raises(BundleError, match=r"blob.bin"):
        load_bundle(path)


def test_bundle_edited_manifest_changes_identity_and_is_validated(tmp_path: Path) -> None:
    path = _write(tmp_path)
    before = load_bundle(path).bundle_hash
    manifest = json.loads((path / MANIFEST_NAME).read_text())
    manifest["metrics"] = {"accuracy": 1.0}
    (path / MANIFEST_NAME).write_text(json.dumps(manifest))
    assert load_bundle(path).bundle_hash != before
    manifest["surprise"] = 1
    (path / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="surprise"):
        load_bundle(path)


@pytest.mark.parametrize("name", ["model.pkl", "weights.pt", "model.joblib", "x.pickle"])
def test_bundle_pickle_like_files_cannot_be_written(tmp_path: Path, name: str) -> None:
    with pytest.raises(BundleError, match="not allowed"):
        write_bundle(tmp_path / "b", MANIFEST, {name: b"x"})
    assert not (tmp_path / "b").exists()


def test_bundle_is_immutable_once_written(tmp_path: Path) -> None:
    path = _write(tmp_path)
    with pytest.raises(BundleError, match="already exists"):
        write_bundle(path, MANIFEST, {"a.json": "{}"})


def test_bundle_wrong_task_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="not 'triage'"):
        load_bundle(_write(tmp_path), expected_task="triage")


def test_bundle_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"no manifest.json"):
        load_bundle(tmp_path)


def test_bundle_embeds_a_bundle_pinned_by_its_hash(tmp_path: Path) -> None:
    inner = _write(tmp_path / "inner")
    outer = write_bundle(
        tmp_path / "outer", {**MANIFEST, "task": "recommend"}, {"a.txt": "x"}, {"safety": inner}
    )
    assert outer.nested("safety").bundle_hash == load_bundle(inner).bundle_hash
    with (outer.path / "safety" / "labels.json").open("a") as handle:
        handle.write(" ")
    with pytest.raises(ChecksumMismatch, match="labels"):
        outer.nested("safety")
    with pytest.raises(BundleError, match="embeds no bundle"):
        outer.nested("other")


def test_bundle_replaced_nested_bundle_is_refused(tmp_path: Path) -> None:
    first = _write(tmp_path / "first")
    outer = write_bundle(tmp_path / "outer", MANIFEST, {"a.txt": "x"}, {"safety": first})
    other = write_bundle(tmp_path / "other", {**MANIFEST, "bundle_version": "v2"}, {"b.txt": "y"})
    shutil.rmtree(outer.path / "safety")
    shutil.copytree(other.path, outer.path / "safety")
    with pytest.raises(BundleError, match="was replaced"):
        outer.nested("safety")
