"""TLS by default: a self-signed certificate kept in argocd-secret; plain HTTP when asked."""

from __future__ import annotations

import ssl

import httpx
from cryptography import x509

from support.api_server import ControlPlane, configmap, start_server


def test_https_by_default_with_a_stored_self_signed_certificate(control_plane: ControlPlane) -> None:
    control_plane.apply(configmap("argocd-cmd-params-cm", {}))
    srv = start_server(control_plane, insecure=None)
    try:
        assert srv.url.startswith("https://")
        cert_pem = control_plane.secret_value("argocd-secret", "tls.crt")
        assert control_plane.secret_value("argocd-secret", "tls.key").startswith("-----BEGIN PRIVATE KEY")
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert "localhost" in names.get_values_for_type(x509.DNSName)
        # the server presents exactly the stored certificate: trusting it verifies the connection
        context = ssl.create_default_context(cadata=cert_pem)
        context.check_hostname = False
        assert httpx.get(f"{srv.url}/healthz", verify=context).text == "ok"
        plain = f"http://127.0.0.1:{srv.port}/healthz"
        try:
            resp = httpx.get(plain, timeout=5)
            assert resp.status_code >= 400
        except httpx.HTTPError:
            pass  # a TLS listener refuses plain HTTP
    finally:
        srv.stop()
    # a restart keeps the certificate
    again = start_server(control_plane, insecure=None)
    try:
        assert control_plane.secret_value("argocd-secret", "tls.crt") == cert_pem
    finally:
        again.stop()


def test_server_insecure_param_serves_plain_http(control_plane: ControlPlane) -> None:
    control_plane.apply(configmap("argocd-cmd-params-cm", {"server.insecure": "true"}))
    srv = start_server(control_plane, insecure=None)
    try:
        assert srv.url.startswith("http://")
        assert httpx.get(f"{srv.url}/healthz").text == "ok"
    finally:
        srv.stop()
        control_plane.apply(configmap("argocd-cmd-params-cm", {}))
