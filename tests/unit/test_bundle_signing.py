"""Bundles vouched for by the registry's key: signed ones verify; a re-hashed manifest, a missing
signature or another key's signature do not; links and '../' names never pass as bundle files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from runtime.bundle import MANIFEST_NAME, load_bundle, write_bundle
from runtime.errors import BundleError
from runtime.signing import SIGNATURE_NAME, generate_key_pair, sign_manifest, verify_signature

MANIFEST = {
    "task": "triage",
    "name": "triage",
    "architecture": "triage.test.v1",
    "bundle_version": "20260101-000000-abc",
    "created_at": "2026-01-01T00:00:00Z",
}


@pytest.fixture()
def keys(tmp_path: Path) -> tuple[bytes, bytes]:
    private, public = generate_key_pair(tmp_path / "keys")
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    return private.read_bytes(), public.read_bytes()


def _signed_bundle(folder: Path, private: bytes) -> Path:
    write_bundle(folder, MANIFEST, {"rules.json": '["chest_pain"]', "examples.jsonl": "{}\n"})
    signature = sign_manifest((folder / MANIFEST_NAME).read_bytes(), private)
    (folder / SIGNATURE_NAME).write_text(signature + "\n")
    return folder


def test_a_signed_bundle_verifies_and_still_loads(tmp_path: Path, keys) -> None:
    folder = _signed_bundle(tmp_path / "b", keys[0])
    verify_signature(folder, keys[1])
    assert load_bundle(folder).version == MANIFEST["bundle_version"]  # the .sig is not unlisted


def test_a_rehashed_manifest_with_rules_removed_is_refused(tmp_path: Path, keys) -> None:
    folder = _signed_bundle(tmp_path / "b", keys[0])
    (folder / "rules.json").write_text("[]")  # the chest-pain rule removed ...
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    manifest["files"]["rules.json"] = (
        "sha256:" + hashlib.sha256(b"[]").hexdigest()
    )  # ... and re-hashed
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    load_bundle(folder)  # its own hashes agree: only the signature can tell
    with pytest.raises(BundleError, match="does not match"):
        verify_signature(folder, keys[1])


def test_unsigned_and_foreign_signed_bundles_are_refused(tmp_path: Path, keys) -> None:
    folder = _signed_bundle(tmp_path / "b", keys[0])
    other_private, _ = generate_key_pair(tmp_path / "other")
    (folder / SIGNATURE_NAME).write_text(
        sign_manifest((folder / MANIFEST_NAME).read_bytes(), other_private.read_bytes())
    )
    with pytest.raises(BundleError, match="does not match"):
        verify_signature(folder, keys[1])
    (folder / SIGNATURE_NAME).write_text("not base64 !!")
    with pytest.raises(BundleError, match="does not match"):
        verify_signature(folder, keys[1])
    (folder / SIGNATURE_NAME).unlink()
    with pytest.raises(BundleError, match="unsigned"):
        verify_signature(folder, keys[1])


def test_symlinked_files_and_escaping_nested_names_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    write_bundle(folder, MANIFEST, {"rules.json": '["chest_pain"]'})
    outside = tmp_path / "outside.json"
    outside.write_text('["chest_pain"]')  # same bytes, same sha256
    (folder / "rules.json").unlink()
    (folder / "rules.json").symlink_to(outside)
    with pytest.raises(BundleError, match="symbolic link"):
        load_bundle(folder)

    nested = tmp_path / "n"
    write_bundle(nested, MANIFEST, {"rules.json": "[]"})
    manifest = json.loads((nested / MANIFEST_NAME).read_text())
    manifest["bundles"] = {"../b": "sha256:0"}
    (nested / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="bad bundle file name"):
        load_bundle(nested)
