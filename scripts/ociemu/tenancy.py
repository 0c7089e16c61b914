# SPDX-License-Identifier: MIT
"""Initial tenancies: 'sample' (docs/sample-tenancy.md) and
'synthetic:C,V,K'.  Everything is deterministic: the same spec always
gives the same OCIDs, names and times."""

import re

from . import util

BASE_TIME = 1709283600.0  # 2024-03-01T09:00:00Z


class Builder:
    def __init__(self, seed, name, description):
        self.seed = seed
        self.clock = BASE_TIME
        self.tenancy = {
            "id": util.tenancy_ocid(seed),
            "name": name,
            "description": description,
            "homeRegionKey": "IAD",
            "upiIdcsCompatibilityLayerEndpoint": None,
            "freeformTags": {},
            "definedTags": {},
        }
        self.compartments = {}
        self.vaults = {}
        self.keys = {}
        self.buckets = {}
        self.restricted = []

    def tick(self, secs=60.0):
        self.clock += secs
        return util.rfc3339(self.clock)

    def compartment(self, name, parent=None, state="ACTIVE",
                    description=None):
        parent_id = parent or self.tenancy["id"]
        cid = util.compartment_ocid(self.seed + "/" + parent_id + "/" + name)
        self.compartments[cid] = {
            "id": cid,
            "compartmentId": parent_id,
            "name": name,
            "description": description or ("%s compartment" % name),
            "timeCreated": self.tick(),
            "lifecycleState": state,
            "inactiveStatus": None,
            "freeformTags": {},
            "definedTags": {},
        }
        return cid

    def vault(self, compartment, name, vtype="VIRTUAL_PRIVATE",
              state="ACTIVE", seed=None):
        seed = "%s/%s/%s" % (self.seed, compartment, seed or name)
        prefix = util.vault_prefix(seed)
        vid = util.vault_ocid(prefix, seed)
        t = self.tick()
        self.vaults[vid] = {
            "compartmentId": compartment,
            "cryptoEndpoint": None,
            "displayName": name,
            "id": vid,
            "lifecycleState": state,
            "managementEndpoint": None,
            "timeCreated": t,
            "vaultType": vtype,
            "wrappingkeyId": util.wrapping_key_ocid(prefix, seed),
            "timeOfDeletion": (util.rfc3339(self.clock + 30 * 86400)
                               if state == "PENDING_DELETION" else None),
            "restoredFromVaultId": None,
            "replicaDetails": None,
            "isPrimary": True,
            "isVaultReplicable": vtype == "VIRTUAL_PRIVATE",
            "definedTags": {},
            "freeformTags": {},
            "_prefix": prefix,
            "_port": 0,
        }
        return vid

    def key(self, vault_id, name, protection="HSM", state="ENABLED",
            algorithm="AES", length=None, versions=1, compartment=None,
            seed=None, curve=None):
        v = self.vaults[vault_id]
        prefix = v["_prefix"]
        seed = "%s/%s/%s" % (self.seed, vault_id, seed or name)
        kid = util.key_ocid(prefix, seed)
        if length is None:
            length = {"AES": 32, "RSA": 256, "ECDSA": 32}[algorithm]
        shape = {"algorithm": algorithm, "length": length}
        if algorithm == "ECDSA":
            shape["curveId"] = curve or "NIST_P256"
        comp = compartment or v["compartmentId"]
        t = self.tick()
        vers = []
        for i in range(versions):
            vt = t if i == 0 else self.tick(3600.0)
            vers.append({
                "compartmentId": comp,
                "id": util.keyversion_ocid(prefix, "%s#%d" % (seed, i)),
                "keyId": kid,
                "timeCreated": vt,
                "vaultId": vault_id,
                "lifecycleState": "ENABLED",
                "origin": "INTERNAL",
                "timeOfDeletion": None,
                "restoredFromKeyVersionId": None,
                "isPrimary": True,
                "isAutoRotated": False,
            })
        self.keys[kid] = {
            "compartmentId": comp,
            "currentKeyVersion": vers[-1]["id"],
            "displayName": name,
            "id": kid,
            "keyShape": shape,
            "lifecycleState": state,
            "timeCreated": t,
            "vaultId": vault_id,
            "definedTags": {},
            "freeformTags": {},
            "protectionMode": protection,
            "timeOfDeletion": (util.rfc3339(self.clock + 7 * 86400)
                               if state in ("PENDING_DELETION",
                                            "DELETED") else None),
            "restoredFromKeyId": None,
            "replicaDetails": None,
            "isPrimary": True,
            "isAutoRotationEnabled": False,
            "_versions": vers,
        }
        return kid

    def bucket(self, name, compartment=None):
        self.buckets[name] = {
            "name": name,
            "compartmentId": compartment or self.tenancy["id"],
            "createdBy": util.default_user_ocid(self.seed),
            "timeCreated": self.tick(),
            "etag": util.hname("bucket:" + self.seed + name, 8) + "-" +
                    util.hname("etag:" + name, 24),
        }

    def result(self, spec):
        return {
            "tenancySpec": spec,
            "tenancy": self.tenancy,
            "compartments": self.compartments,
            "vaults": self.vaults,
            "keys": self.keys,
            "buckets": self.buckets,
            "restricted": self.restricted,
        }


def sample():
    b = Builder("sample", "acme-corp",
                "Sample tenancy of the ocivaultfs emulator")
    root = b.tenancy["id"]
    prod = b.compartment("Production", description="Production workloads")
    payments = b.compartment("Payments", prod,
                             description="Card payments (PCI)")
    hr = b.compartment("HR", prod, description="Human resources")
    dev = b.compartment("Development", description="Development and test")
    restricted = b.compartment("Restricted",
                               description="Security team only")
    b.compartment("Sandbox", state="DELETED",
                  description="Deleted sandbox")
    b.restricted.append(restricted)
    del hr  # an empty compartment: present in the tree, no vault

    pv = b.vault(prod, "prod-vault", "VIRTUAL_PRIVATE")
    b.key(pv, "payments-master", versions=3)
    b.key(pv, "hr-master", state="DISABLED")
    b.key(pv, "legacy-key", state="PENDING_DELETION")
    b.key(pv, "app signing", algorithm="RSA", length=256)
    b.key(pv, "Équipe données")
    b.key(pv, "ops/keys")
    b.key(pv, "soft-key", protection="SOFTWARE")
    b.key(pv, "retired-key", state="DELETED")
    b.key(pv, "shared", seed="shared-1")
    b.key(pv, "shared", seed="shared-2")
    b.key(pv, "tokenization", compartment=payments)

    dv = b.vault(prod, "prod-default", "DEFAULT")
    b.key(dv, "default-hsm")
    b.key(dv, "default-soft", protection="SOFTWARE")

    nv = b.vault(payments, "payments-vault", "VIRTUAL_PRIVATE")
    b.key(nv, "card-data", versions=2)
    b.key(nv, "signing-ec", algorithm="ECDSA", length=32)

    d1 = b.vault(dev, "dev-vault", "DEFAULT", seed="dev-vault-1")
    b.key(d1, "test-key")
    d2 = b.vault(dev, "dev-vault", "VIRTUAL_PRIVATE", seed="dev-vault-2")
    b.key(d2, "test-key")
    b.vault(dev, "old-vault", "VIRTUAL_PRIVATE", state="PENDING_DELETION")

    rv = b.vault(restricted, "restricted-vault", "VIRTUAL_PRIVATE")
    b.key(rv, "security-master")

    b.bucket("backups", root)
    b.bucket("archive", prod)
    b.bucket("restricted-backups", restricted)
    return b.result("sample")


def parse_synthetic(spec):
    m = re.fullmatch(r"synthetic:(\d+),(\d+),(\d+)", spec)
    if not m:
        return None
    c, v, k = (int(x) for x in m.groups())
    if not (1 <= c <= 1000 and 0 <= v <= 100 and 0 <= k <= 1000) or \
            c * v > 2000:
        raise ValueError("synthetic sizes out of range (C 1..1000, V 0..100,"
                         " K 0..1000, C*V <= 2000 vault ports)")
    return c, v, k


def synthetic(spec):
    c, v, k = parse_synthetic(spec)
    b = Builder(spec, "synthetic-%d-%d-%d" % (c, v, k),
                "Synthetic tenancy %s" % spec)
    # Two levels: a quarter of the compartments at the top, the others
    # spread over them as children.
    top = max(1, c // 4)
    comps = []
    for i in range(top):
        comps.append(b.compartment("c%03d" % (i + 1)))
    for j in range(c - top):
        parent = comps[j % top]
        comps.append(b.compartment("c%03d-s%03d" % (j % top + 1,
                                                     j // top + 1), parent))
    for ci, comp in enumerate(comps):
        for vi in range(v):
            vtype = "VIRTUAL_PRIVATE" if vi % 2 == 0 else "DEFAULT"
            vid = b.vault(comp, "vault-%03d-%02d" % (ci + 1, vi + 1), vtype)
            for ki in range(k):
                prot = "SOFTWARE" if ki % 10 == 9 else "HSM"
                state = "DISABLED" if ki % 10 == 7 else "ENABLED"
                b.key(vid, "key-%04d" % (ki + 1), protection=prot,
                      state=state, versions=2 if ki % 5 == 0 else 1)
    b.bucket("backups")
    return b.result(spec)


def build(spec):
    if spec == "sample":
        return sample()
    if spec.startswith("synthetic:"):
        if parse_synthetic(spec) is None:
            raise ValueError("expected synthetic:C,V,K")
        return synthetic(spec)
    raise ValueError("unknown tenancy %r (sample or synthetic:C,V,K)" % spec)
