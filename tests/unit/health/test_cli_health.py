"""``argosy admin settings resource-overrides health``: offline health of saved objects."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from argosy.cli.main import app

CERT_LUA = """hs = {}
if obj.status ~= nil and obj.status.conditions ~= nil then
  for i, condition in ipairs(obj.status.conditions) do
    if condition.type == "Ready" then
      hs.status = condition.status == "True" and "Healthy" or "Degraded"
      hs.message = condition.message
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for certificate"
return hs
"""


def _write(path: Path, doc: object) -> Path:
    path.write_text(yaml.safe_dump(doc))
    return path


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    cm = _write(
        tmp_path / "argocd-cm.yaml",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm"},
            "data": {
                "resource.customizations": yaml.safe_dump(
                    {"cert-manager.io/Certificate": {"health.lua": CERT_LUA}}
                )
            },
        },
    )
    cert = _write(
        tmp_path / "cert.yaml",
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "c", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "status": {"conditions": [{"type": "Ready", "status": "False", "message": "Issuer missing"}]},
        },
    )
    svc = _write(
        tmp_path / "svc.yaml",
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "LoadBalancer"}},
    )
    return cm, cert, svc


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["admin", "settings", "resource-overrides", "health", *args])
    return result.exit_code, result.output


def test_one_line_per_file(tmp_path: Path) -> None:
    cm, cert, svc = _files(tmp_path)
    code, out = _run(str(cert), str(svc), "--argocd-cm-path", str(cm))
    assert code == 0, out
    assert out.splitlines() == [f"{cert}: Degraded - Issuer missing", f"{svc}: Progressing"]


def test_json_output(tmp_path: Path) -> None:
    cm, cert, svc = _files(tmp_path)
    code, out = _run(str(cert), str(svc), "--argocd-cm-path", str(cm), "-o", "json")
    assert code == 0, out
    assert json.loads(out) == [
        {"file": str(cert), "status": "Degraded", "message": "Issuer missing"},
        {"file": str(svc), "status": "Progressing", "message": ""},
    ]


def test_without_configmap_only_builtin_rules_apply(tmp_path: Path) -> None:
    _, cert, _ = _files(tmp_path)
    code, out = _run(str(cert), "-o", "json")
    assert code == 0
    [row] = json.loads(out)
    assert (
        row["status"] is None
        and "resource.customizations.health.cert-manager.io_Certificate" in row["message"]
    )


def test_unreadable_file_is_reported_and_exits_1(tmp_path: Path) -> None:
    cm, cert, _ = _files(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed\n")
    code, out = _run(str(bad), str(tmp_path / "absent.yaml"), str(cert), "--argocd-cm-path", str(cm))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{bad}: error - cannot read {bad}")
    assert lines[1].startswith(f"{tmp_path / 'absent.yaml'}: error - cannot read")
    assert lines[2] == f"{cert}: Degraded - Issuer missing"


def test_bad_configmap_exits_2_naming_the_key(tmp_path: Path) -> None:
    _, cert, _ = _files(tmp_path)
    cm = _write(
        tmp_path / "cm.yaml", {"kind": "ConfigMap", "data": {"resource.customizations": "- not a map"}}
    )
    result = CliRunner().invoke(
        app, ["admin", "settings", "resource-overrides", "health", str(cert), "--argocd-cm-path", str(cm)]
    )
    assert result.exit_code == 2
    assert "resource.customizations" in result.output and "--argocd-cm-path" in result.output


def test_script_error_shows_lua_message(tmp_path: Path) -> None:
    _, cert, _ = _files(tmp_path)
    cm = _write(
        tmp_path / "cm.yaml",
        {
            "kind": "ConfigMap",
            "data": {"resource.customizations.health.cert-manager.io_Certificate": "return obj.x.y"},
        },
    )
    code, out = _run(str(cert), "--argocd-cm-path", str(cm))
    assert code == 0
    assert out.startswith(f"{cert}: Unknown - health.lua:1: attempt to index field 'x'")
