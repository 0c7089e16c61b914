# SPDX-License-Identifier: MIT
"""The sample tenancy matches docs/sample-tenancy.md; OCID shapes."""

import os
import re

from conftest import SOURCE_ROOT
from ociemu import tenancy

OCID_RE = re.compile(r"`(ocid1\.[a-z]+\.oc1\.[a-z]*\.[a-z0-9.]+)`")


def test_documented_ocids_are_the_sample():
    with open(os.path.join(SOURCE_ROOT, "docs", "sample-tenancy.md"),
              encoding="utf-8") as f:
        doc = f.read()
    documented = set(OCID_RE.findall(doc))
    t = tenancy.sample()
    actual = {t["tenancy"]["id"]} | set(t["compartments"]) | \
        set(t["vaults"]) | set(t["keys"])
    assert documented == actual
    # every documented name is in the sample too
    for k in t["keys"].values():
        assert "`%s`" % k["displayName"] in doc
    for b in t["buckets"]:
        assert "`%s`" % b in doc


def test_ocid_shapes_and_determinism():
    a, b = tenancy.sample(), tenancy.sample()
    assert a == b
    for vid, v in a["vaults"].items():
        parts = vid.split(".")
        assert parts[:4] == ["ocid1", "vault", "oc1", "iad"]
        assert all(re.fullmatch(r"[a-z0-9]+", p) for p in parts[4:])
        assert v["wrappingkeyId"].split(".")[4] == parts[4]
    for kid, k in a["keys"].items():
        parts = kid.split(".")
        assert parts[:4] == ["ocid1", "key", "oc1", "iad"]
        # the key carries its vault's prefix
        assert parts[4] == k["vaultId"].split(".")[4]
        for v in k["_versions"]:
            assert v["id"].startswith("ocid1.keyversion.oc1.iad." + parts[4])
    s = tenancy.synthetic("synthetic:3,2,4")
    assert len(s["compartments"]) == 3 and len(s["vaults"]) == 6
    assert len(s["keys"]) == 24
