"""Every case of ../shared/peer-data/rbac (Argo CD's own RBAC tests), through the enforcer and the CLI.

The data is loaded at test time, never copied. Enforce cases run against
:class:`Enforcer` directly; those a user could type run a second time through
``argosy admin settings rbac can`` (with the object as typed, before the
``*`` -> ``*/*`` rewrite).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from argosy.cli.main import app
from argosy.server.rbac import Enforcer, config_from_configmap, resource_action_error, validate_policy
from argosy.server.rbac.policy import parse_policy
from support.peer_data import peer_data_dir

# Where conftest.peer_data_dir looks; read here only to parametrise at collection time
# (the tests themselves go through the peer_data_dir fixture, which skips when it is absent).
RBAC_DIR = Path(__file__).resolve().parents[4] / "shared" / "peer-data" / "rbac"


def _cases() -> list[dict[str, Any]]:
    path = RBAC_DIR / "cases.yaml"
    if not path.is_file():
        return []
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["cases"])


CASES = _cases()


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    out = []
    for i, c in enumerate(cases):
        what = c.get("note", "")
        if c["kind"] == "enforce":
            what = f"{c.get('subject')} {c['action']} {c['resource']} {c['object']}"
        out.append(f"{i:03d}-{c['kind']}-{what}"[:120])
    return out


def _text(value: Any, base: Path) -> str:
    """A policy field: literal text, or {file: X} (argocd-rbac-cm.yaml joins its policy.*.csv keys)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    path = base / value["file"]
    if path.suffix in (".yaml", ".yml"):
        return config_from_configmap(yaml.safe_load(path.read_text(encoding="utf-8"))).policy_csv
    return path.read_text(encoding="utf-8")


def _builtin(case: dict[str, Any]) -> str | None:
    """None = Argosy's packaged built-in policy (checked equal to the peer file below)."""
    if "builtin_policy_csv" in case:
        return str(case["builtin_policy_csv"])
    return None if case["builtin"] else ""


def _of_kind(kind: str) -> list[dict[str, Any]]:
    return [c for c in CASES if c["kind"] == kind]


ENFORCE = _of_kind("enforce")
VALIDATE_POLICY = _of_kind("validate_policy")
VALIDATE_RESOURCE_ACTION = _of_kind("validate_resource_action")


@pytest.fixture(scope="module")
def rbac_dir() -> Path:
    return peer_data_dir("rbac")


def test_peer_data_has_cases(rbac_dir: Path) -> None:
    assert ENFORCE and VALIDATE_POLICY and VALIDATE_RESOURCE_ACTION


def test_packaged_builtin_policy_has_argo_cd_rules(rbac_dir: Path) -> None:
    from argosy.server.rbac import builtin_policy
    from argosy.server.rbac.policy import PolicySource

    def rules(text: str) -> list[tuple[str, tuple[str, ...]]]:
        return [(r.ptype, r.fields) for r in parse_policy([PolicySource("x", text)])]

    peer = (rbac_dir / "builtin-policy.csv").read_text(encoding="utf-8")
    assert rules(builtin_policy()) == rules(peer)


@pytest.mark.parametrize("case", ENFORCE, ids=_ids(ENFORCE))
def test_enforce(case: dict[str, Any], rbac_dir: Path) -> None:
    enforcer = Enforcer(
        _text(case["policy_csv"], rbac_dir),
        builtin=_builtin(case),
        default_role=case.get("default_role") or "",
        match_mode=case.get("match_mode") or "glob",
    )
    runtime = _text(case.get("runtime_policy_csv"), rbac_dir)
    allowed = enforcer.enforce_subjects(
        case.get("subject"),
        case.get("groups") or [],
        case["resource"],
        case["action"],
        case["object"],
        runtime,
    )
    assert allowed is case["allowed"], case.get("note")


def _cli_eligible(case: dict[str, Any]) -> bool:
    """What a user can express on the command line: one subject, user policy, packaged builtin or none."""
    return (
        case.get("subject") is not None
        and "builtin_policy_csv" not in case
        and not case.get("runtime_policy_csv")
        and not case.get("groups")
    )


CLI_CASES = [c for c in ENFORCE if _cli_eligible(c)]


@pytest.mark.parametrize("case", CLI_CASES, ids=_ids(CLI_CASES))
def test_enforce_through_cli(case: dict[str, Any], rbac_dir: Path, tmp_path: Path) -> None:
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argocd-rbac-cm"},
        "data": {
            "policy.csv": _text(case["policy_csv"], rbac_dir),
            "policy.matchMode": case.get("match_mode") or "glob",
        },
    }
    policy_file = tmp_path / "argocd-rbac-cm.yaml"
    policy_file.write_text(yaml.safe_dump(configmap), encoding="utf-8")
    resource = case.get("cli_resource", case["resource"])
    obj = case.get("cli_object", case["object"])
    args = ["admin", "settings", "rbac", "can", case["subject"], case["action"], resource, obj]
    args += ["--policy-file", str(policy_file)]
    if case.get("default_role"):
        args += ["--default-role", case["default_role"]]
    if not case["builtin"]:
        args.append("--no-use-builtin-policy")
    if resource_action_error(case["resource"], case["action"]) is not None:
        args.append("--no-strict")
    result = CliRunner().invoke(app, args)
    assert result.stdout.strip() == ("Yes" if case["allowed"] else "No"), result.output
    assert result.exit_code == (0 if case["allowed"] else 1), result.output
    if "cli_warns_unenforced_group_grant" in case:
        warned = "no 'g," in result.stderr
        assert warned is case["cli_warns_unenforced_group_grant"], result.stderr


@pytest.mark.parametrize("case", VALIDATE_POLICY, ids=_ids(VALIDATE_POLICY))
def test_validate_policy(case: dict[str, Any], rbac_dir: Path) -> None:
    problems = validate_policy(_text(case["policy_csv"], rbac_dir))
    assert (not problems) is case["valid"], problems
    for problem in problems:
        assert "line" in str(problem)


@pytest.mark.parametrize("case", VALIDATE_RESOURCE_ACTION, ids=_ids(VALIDATE_RESOURCE_ACTION))
def test_validate_resource_action(case: dict[str, Any], rbac_dir: Path) -> None:
    error = resource_action_error(case["resource"], case["action"])
    assert (error is None) is case["valid"], error
