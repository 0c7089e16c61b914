# SPDX-License-Identifier: MIT
"""The bytes of a key or vault backup.

    MAGIC                     b"OCIEMU-KMS-BACKUP/2\\n"
    b"tenancy:" OCID b"\\n"     the tenancy the backup was made in
    nonce                     12 bytes
    AES-256-GCM(payload)      ciphertext and 16-byte tag

The payload is JSON; the key is derived from the emulator's secret and the
associated data is everything before the nonce (magic and tenancy line),
so a backup is opaque, names its tenancy in the clear (to tell "another
tenancy" from "corrupt"), and anything truncated, modified or sealed by
another emulator instance fails the tag check at restore.
"""

import hashlib
import json
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"OCIEMU-KMS-BACKUP/2\n"
NONCE = 12
TAG = 16
MAX_HEADER = 256
_TENANCY_RE = re.compile(rb"^tenancy:(ocid1\.tenancy\.[a-z0-9._-]{1,200})\n")


class CorruptBackup(ValueError):
    """Not a backup, or truncated, modified or sealed elsewhere."""


class ForeignBackup(ValueError):
    """An intact-looking backup made in another tenancy."""

    def __init__(self, tenancy):
        super().__init__("The backup was made in another tenancy.")
        self.tenancy = tenancy


def _key(secret):
    return hashlib.sha256(b"ociemu backup v1\0" +
                          bytes.fromhex(secret)).digest()


def seal(secret, tenancy, payload):
    """The backup bytes of `payload` (a dict) made in `tenancy`."""
    head = MAGIC + b"tenancy:" + tenancy.encode("ascii") + b"\n"
    if not _TENANCY_RE.match(head[len(MAGIC):]) or len(head) > MAX_HEADER:
        raise ValueError("invalid tenancy OCID %r" % tenancy)
    nonce = os.urandom(NONCE)
    raw = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    return head + nonce + AESGCM(_key(secret)).encrypt(nonce, raw, head)


def tenancy_of(data):
    """The tenancy OCID named by backup bytes (unauthenticated), or None
    when the bytes do not even look like a backup."""
    if not data.startswith(MAGIC):
        return None
    m = _TENANCY_RE.match(data[len(MAGIC):len(MAGIC) + MAX_HEADER])
    return m.group(1).decode("ascii") if m else None


def unseal(secret, tenancy, data):
    """The payload of backup bytes made in `tenancy` with this secret;
    CorruptBackup or ForeignBackup."""
    owner = tenancy_of(data)
    if owner is None:
        raise CorruptBackup("The backup file is not a valid backup.")
    if owner != tenancy:
        raise ForeignBackup(owner)
    head = len(MAGIC) + len(b"tenancy:") + len(owner) + 1
    if len(data) < head + NONCE + TAG:
        raise CorruptBackup("The backup file is truncated.")
    nonce = data[head:head + NONCE]
    try:
        raw = AESGCM(_key(secret)).decrypt(nonce, data[head + NONCE:],
                                           data[:head])
    except InvalidTag:
        raise CorruptBackup("The backup file is corrupt or was not created "
                            "by this service.") from None
    try:
        payload = json.loads(raw.decode())
    except ValueError:
        raise CorruptBackup("The backup file is corrupt.") from None
    if not isinstance(payload, dict) or payload.get("kind") not in ("key",
                                                                    "vault"):
        raise CorruptBackup("The backup file is corrupt.")
    if payload.get("tenancyId") != tenancy:
        raise CorruptBackup("The backup file is corrupt.")
    return payload
