"""``argosy admin settings resource-overrides ignore-differences`` with no cluster."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from argosy.cli.main import app

runner = CliRunner()

ARGOCD_CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
data:
  resource.customizations.ignoreDifferences.admissionregistration.k8s.io_MutatingWebhookConfiguration: |
    jqPathExpressions:
    - .webhooks[]?.clientConfig.caBundle
  resource.customizations.ignoreDifferences.apps_Deployment: |
    jsonPointers:
    - /spec/replicas
  resource.compareoptions: |
    ignoreResourceStatusField: off
"""

WEBHOOK = """\
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: hook
webhooks:
- name: a.example.com
  clientConfig:
    caBundle: Y2VydA==
    service: {name: svc, namespace: ns}
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports: [{port: 80}]
"""


def run(tmp_path: Path, obj: str, *extra: str, cm: str = ARGOCD_CM) -> tuple[int, str]:
    (tmp_path / "cm.yaml").write_text(cm)
    (tmp_path / "obj.yaml").write_text(obj)
    result = runner.invoke(
        app,
        [
            "admin",
            "settings",
            "resource-overrides",
            "ignore-differences",
            str(tmp_path / "obj.yaml"),
            "--argocd-cm-path",
            str(tmp_path / "cm.yaml"),
            *extra,
        ],
    )
    return result.exit_code, result.output


def test_prints_ignored_fields_as_diff_and_pointers(tmp_path: Path) -> None:
    code, out = run(tmp_path, WEBHOOK)
    assert code == 0, out
    assert "Following fields of 'MutatingWebhookConfiguration/hook' are ignored:" in out
    assert "-    caBundle: Y2VydA==" in out
    assert "/webhooks/0/clientConfig/caBundle" in out


def test_json_output(tmp_path: Path) -> None:
    code, out = run(tmp_path, WEBHOOK + "---\n" + SERVICE, "-o", "json")
    assert code == 0, out
    reports = json.loads(out)
    assert [r["ignored"] for r in reports] == [["/webhooks/0/clientConfig/caBundle"], []]
    assert "caBundle" not in json.dumps(reports[0]["normalized"])
    assert reports[0]["rules"] and reports[1]["rules"] == []


def test_kind_without_overrides(tmp_path: Path) -> None:
    code, out = run(tmp_path, SERVICE)
    assert code == 0
    assert out.strip() == "No overrides configured for 'Service/web'"


def test_rule_that_removes_nothing(tmp_path: Path) -> None:
    deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {paused: true}\n"
    code, out = run(tmp_path, deployment)
    assert code == 0
    assert "No fields are ignored" in out and "apps/Deployment" in out


def test_status_ignored_by_default_compare_options(tmp_path: Path) -> None:
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm}\ndata: {}\n"
    obj = SERVICE + "status:\n  loadBalancer:\n    ingress: [{ip: 1.2.3.4}]\n"
    code, out = run(tmp_path, obj, cm=cm)
    assert code == 0
    assert "/status" in out


def test_bad_inputs_exit_with_a_message_naming_the_file(tmp_path: Path) -> None:
    code, out = run(tmp_path, "just: [unclosed")
    assert code == 1 and "obj.yaml" in out
    bad_cm = ARGOCD_CM + "  resource.customizations.ignoreDifferences.all: 'jqPathExpressions: [\".a[\"]'\n"
    code, out = run(tmp_path, SERVICE, cm=bad_cm)
    assert code == 1 and "cm.yaml" in out and "does not compile" in out
    code, out = run(tmp_path, SERVICE, "-o", "xml")
    assert code == 1 and "--output" in out
