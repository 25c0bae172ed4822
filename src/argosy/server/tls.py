"""The server's TLS certificate: the one in ``argocd-secret``, or a self-signed one made once and kept there.

Like Argo CD, the server speaks HTTPS by default. When ``argocd-secret`` has no
``tls.crt``/``tls.key``, a self-signed certificate for ``localhost``,
``argocd-server`` and the loopback addresses is generated and stored there,
so every replica (and every restart) presents the same certificate. Put your
own certificate in those keys to replace it, or run with ``--insecure``
(``server.insecure: "true"`` in ``argocd-cmd-params-cm``) behind an ingress
that terminates TLS.
"""

from __future__ import annotations

import datetime
import ipaddress
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

KEY_CERT = "tls.crt"
KEY_KEY = "tls.key"
_VALIDITY_DAYS = 365


@dataclass(frozen=True)
class CertPair:
    cert_pem: str
    key_pem: str

    def write(self, directory: Path | None = None) -> tuple[Path, Path]:
        """Files for uvicorn (which only takes paths), readable by the owner only."""
        folder = Path(directory or tempfile.mkdtemp(prefix="argosy-tls-"))
        cert, key = folder / "tls.crt", folder / "tls.key"
        cert.write_text(self.cert_pem)
        key.touch(mode=0o600)
        key.write_text(self.key_pem)
        return cert, key


def self_signed(hosts: list[str] | None = None, *, organization: str = "Argo CD") -> CertPair:
    """A fresh self-signed certificate valid for a year for ``hosts`` (DNS names or IPs)."""
    names = hosts or ["localhost", "argocd-server", "127.0.0.1", "::1"]
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
        ]
    )
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_VALIDITY_DAYS))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return CertPair(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii"),
    )


def check_pair(pair: CertPair) -> str | None:
    """Why the stored certificate cannot be used (None when it can)."""
    try:
        cert = x509.load_pem_x509_certificate(pair.cert_pem.encode())
        key = serialization.load_pem_private_key(pair.key_pem.encode(), password=None)
    except ValueError as err:
        return f"not a PEM certificate and unencrypted private key ({err})"
    cert_pub = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_pub = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if cert_pub != key_pub:
        return "tls.key does not belong to tls.crt"
    return None
