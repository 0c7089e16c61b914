# SPDX-License-Identifier: MIT
"""The bytes of a key or vault backup.

MAGIC, a 12-byte nonce, then AES-256-GCM over the JSON payload with a
key derived from the emulator's secret and the magic as associated data.
So a backup is opaque, identifies the key (or vault) and its versions,
and anything corrupt, truncated or written by another emulator instance
is refused at restore.
"""

import hashlib
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"OCIEMU-KMS-BACKUP/1\n"


class CorruptBackup(ValueError):
    pass


def _key(secret):
    return hashlib.sha256(b"ociemu backup v1\0" +
                          bytes.fromhex(secret)).digest()


def seal(secret, payload):
    nonce = os.urandom(12)
    raw = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    return MAGIC + nonce + AESGCM(_key(secret)).encrypt(nonce, raw, MAGIC)


def unseal(secret, data):
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 12 + 16:
        raise CorruptBackup("The backup file is not a valid backup.")
    nonce = data[len(MAGIC):len(MAGIC) + 12]
    try:
        raw = AESGCM(_key(secret)).decrypt(nonce, data[len(MAGIC) + 12:],
                                           MAGIC)
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
    return payload
