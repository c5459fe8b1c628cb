"""Master key files and the campaign keys derived from them (HKDF-SHA256)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from codes.common.errors import InstoreError

MASTER_KEY_BYTES = 32
_SALT = b"instore campaign key v1"


def derive_campaign_key(master: bytes, campaign_id: str, key_version: int) -> bytes:
    """The AES-256 key of one campaign and key version; the master never leaves the issuer."""
    info = campaign_id.encode("utf-8") + b"\x00" + str(key_version).encode("ascii")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(master)


def derive_plan_seed(master: bytes, campaign_id: str, length: int) -> bytes:
    """The seed of a campaign's tier plan: from the master, so a device holding the campaign key
    cannot tell which serials carry a prize. The same for every key version: rotating the key
    never moves a prize to another serial."""
    info = b"instore tier plan\x00" + campaign_id.encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=_SALT, info=info).derive(master)


def derive_subkey(campaign_key: bytes, purpose: str, length: int = 32) -> bytes:
    """An independent key for another job of the campaign (tier shuffle, key check)."""
    info = b"instore " + purpose.encode("ascii")
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(campaign_key)


def key_check_value(campaign_key: bytes) -> str:
    """A short public fingerprint, so a wrong master key file is named instead of minting junk."""
    return derive_subkey(campaign_key, "key check").hex()[:12]


def create_master_key(path: Path) -> bool:
    """Write a new random master key (mode 0600) unless one exists; True when written."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_bytes(MASTER_KEY_BYTES).hex() + "\n")
    return True


def read_master_key(path: Path) -> bytes:
    """The master key, refused when others than its owner may read the file."""
    try:
        if path.stat().st_mode & 0o077:
            raise InstoreError(
                "key_exposed",
                f"master key file {path} can be read by others; fix it with: chmod 600 {path}",
            )
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise InstoreError("key_missing", f"master key file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InstoreError("key_unreadable", f"cannot read master key file {path}: {exc}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != MASTER_KEY_BYTES:
        raise InstoreError(
            "key_malformed",
            f"master key file {path} must hold {MASTER_KEY_BYTES} bytes as 64 hex digits",
        )
    return key
