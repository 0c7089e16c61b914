# SPDX-License-Identifier: MIT
"""Keys and certificates: the TLS CA and server certificate, API keys and
their OCI fingerprints."""

import datetime
import hashlib
import ipaddress
import os
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .util import atomic_write


def fingerprint(public_key):
    """OCI fingerprint: MD5 of the DER SubjectPublicKeyInfo, lower-case hex
    pairs joined by ':'."""
    der = public_key.public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    h = hashlib.md5(der).hexdigest()
    return ":".join(h[i:i + 2] for i in range(0, 32, 2))


def load_public_pem(pem):
    if isinstance(pem, str):
        pem = pem.encode()
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("only RSA public keys are supported")
    return key


def public_pem(public_key):
    return public_key.public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def new_rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_pem(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_or_create_rsa(path):
    """The RSA private key at `path` (PEM, mode 0600), created if absent."""
    if os.path.exists(path):
        with open(path, "rb") as f:
            return serialization.load_pem_private_key(f.read(), None)
    key = new_rsa_key()
    atomic_write(path, private_pem(key), 0o600)
    return key


# KMS key shapes: curveId, or the length in bytes, -> the curve.
EC_CURVES = {"NIST_P256": ec.SECP256R1, "NIST_P384": ec.SECP384R1,
             "NIST_P521": ec.SECP521R1}
EC_BY_LENGTH = {32: "NIST_P256", 48: "NIST_P384", 66: "NIST_P521"}


def key_version_public_pem(shape):
    """The PEM public key (SubjectPublicKeyInfo) of a fresh key pair of a
    KMS key shape: RSA of `length` bytes or ECDSA on its curve; None for
    AES.  The private half is not kept (the emulator does no crypto
    operations).  An RSA 4096 generation takes about a second."""
    alg = shape.get("algorithm")
    if alg == "RSA":
        key = rsa.generate_private_key(public_exponent=65537,
                                       key_size=int(shape["length"]) * 8)
    elif alg == "ECDSA":
        curve = shape.get("curveId") or EC_BY_LENGTH[shape["length"]]
        key = ec.generate_private_key(EC_CURVES[curve]())
    else:
        return None
    return public_pem(key.public_key())


def _ec_pem(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_or_create_ca(state_dir):
    """(ca_cert, ca_key); persisted as ca.pem / ca-key.pem and reused."""
    cert_path = os.path.join(state_dir, "ca.pem")
    key_path = os.path.join(state_dir, "ca-key.pem")
    if os.path.exists(cert_path) and os.path.exists(key_path):
        with open(cert_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        with open(key_path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
        return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ocivaultfs emulator"),
        x509.NameAttribute(NameOID.COMMON_NAME, "ocivaultfs emulator CA"),
    ])
    start = datetime.datetime.now(datetime.timezone.utc) - \
        datetime.timedelta(days=1)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0),
                           critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    atomic_write(key_path, _ec_pem(key), 0o600)
    atomic_write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def make_server_cert(state_dir, ca_cert, ca_key):
    """Issue a fresh server certificate (SANs IP:127.0.0.1, DNS:localhost)
    signed by the CA; writes server.pem/server-key.pem; returns paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.datetime.now(datetime.timezone.utc) - \
        datetime.timedelta(hours=1)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([
                x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path = os.path.join(state_dir, "server.pem")
    key_path = os.path.join(state_dir, "server-key.pem")
    atomic_write(key_path, _ec_pem(key), 0o600)
    atomic_write(cert_path, cert.public_bytes(serialization.Encoding.PEM) +
                 ca_cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def server_context(cert_path, key_path):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_path, key_path)
    return ctx
