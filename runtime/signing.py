"""Bundle signatures: the registry vouches for a bundle, not the bundle for itself.

A bundle's sha256 list proves its files match its manifest, but anyone who can write the folder
can rewrite the manifest too: a bundle with its chest-pain rules and their golden example removed
and the manifest re-hashed loads under the same version string. So the registry signs the
manifest bytes (Ed25519) when it promotes a bundle to champion; `pull` writes the signature next
to the manifest as `manifest.sig`; the service, configured with the public key, refuses a bundle
whose signature is missing or does not match, unless unsigned bundles are explicitly allowed
(development only).

Keys are PEM files: `python -m training keygen --out var/keys` writes a pair; the private key
goes to whoever promotes (HOSPITAL_SIGNING_KEY), the public key to the service
(HOSPITAL_BUNDLE_PUBLIC_KEY).
"""

from __future__ import annotations

import base64
from pathlib import Path

from runtime.errors import BundleError

SIGNATURE_NAME = "manifest.sig"
MANIFEST_NAME = "manifest.json"


def generate_key_pair(folder: Path) -> tuple[Path, Path]:
    """Write a new Ed25519 pair as bundle_signing.key (private, mode 600) and .pub."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    folder.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    private_path, public_path = folder / "bundle_signing.key", folder / "bundle_signing.pub"
    private_path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    private_path.chmod(0o600)
    public_path.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path, public_path


def sign_manifest(manifest_bytes: bytes, private_key_pem: bytes) -> str:
    """The base64 Ed25519 signature of a manifest's exact bytes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key is not an Ed25519 private key")
    return base64.b64encode(key.sign(manifest_bytes)).decode("ascii")


def verify_signature(bundle_dir: Path, public_key_pem: bytes) -> None:
    """Check `manifest.sig` against `manifest.json` with the configured public key.

    Raises:
        BundleError: no signature, an unreadable one, or one the key does not verify.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    signature_path = bundle_dir / SIGNATURE_NAME
    if signature_path.is_symlink() or not signature_path.is_file():
        raise BundleError(f"bundle {bundle_dir}: unsigned (no {SIGNATURE_NAME})")
    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, Ed25519PublicKey):
        raise BundleError("the configured bundle public key is not an Ed25519 key")
    try:
        signature = base64.b64decode(signature_path.read_bytes().strip(), validate=True)
        key.verify(signature, (bundle_dir / MANIFEST_NAME).read_bytes())
    except (InvalidSignature, ValueError) as exc:
        raise BundleError(
            f"bundle {bundle_dir}: {SIGNATURE_NAME} does not match {MANIFEST_NAME} "
            "(not signed by the registry's key, or the manifest was changed)"
        ) from exc
