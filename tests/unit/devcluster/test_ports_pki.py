"""Port choice and certificates of the local clusters (no processes started)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from argosy.devcluster import pki
from argosy.devcluster.cluster import ClusterError, validate_name
from argosy.devcluster.ports import PortInUseError, check_free, free_ports


def test_free_ports_are_distinct_and_bindable() -> None:
    ports = free_ports(6)
    assert len(set(ports)) == 6
    for port in ports:
        check_free(port)


def test_port_in_use_is_named() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"127.0.0.1:{port}"):
            check_free(port)


def test_certificates_are_generated_once(tmp_path: Path) -> None:
    first = pki.generate(tmp_path, "c1")
    ca = x509.load_pem_x509_certificate(first.ca_cert.read_bytes())
    serving = x509.load_pem_x509_certificate(first.serving_cert.read_bytes())
    admin = x509.load_pem_x509_certificate(first.admin_cert.read_bytes())
    assert serving.issuer == ca.subject
    sans = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "kubernetes.default.svc" in sans.get_values_for_type(x509.DNSName)
    assert next(str(ip) for ip in sans.get_values_for_type(x509.IPAddress)) == "127.0.0.1"
    assert admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:masters"
    usage = admin.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in usage
    assert oct(first.admin_key.stat().st_mode & 0o777) == "0o600"
    # A second call reuses the files instead of minting a new CA.
    again = pki.generate(tmp_path, "c1")
    assert again.ca_cert.read_bytes() == first.ca_cert.read_bytes()


@pytest.mark.parametrize("name", ["Upper", "-lead", "trail-", "has_underscore", "x" * 40, ""])
def test_bad_cluster_names_are_refused(name: str) -> None:
    with pytest.raises(ClusterError, match="invalid cluster name"):
        validate_name(name)
