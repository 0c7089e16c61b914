# SPDX-License-Identifier: MIT
"""ociemu: a local emulator of the OCI services ocivaultfs talks to.

Identity, KMS (vault control plane and per-vault management endpoints),
Work Requests and Object Storage over HTTPS, with real request-signature
checks, per-tenancy throttling, injectable faults and persistent state.
See docs/emulator.md.
"""

__version__ = "1.0"
