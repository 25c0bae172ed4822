"""``argosy admin settings rbac can|validate`` as a user runs them."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from argosy.cli.main import app

SEED = "p, role:guest, applications, get, default/*, allow\ng, michele, role:guest\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["admin", "settings", "rbac", *args])
    return result.exit_code, result.stdout, result.stderr


def test_can_answers_yes_and_no_with_exit_codes(tmp_path: Path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text(SEED, encoding="utf-8")
    assert run(
        "can", "michele", "get", "applications", "default/simple-app", "--policy-file", str(policy)
    ) == (
        0,
        "Yes\n",
        "",
    )
    code, out, _ = run("can", "michele", "sync", "app", "default/simple-app", "--policy-file", str(policy))
    assert (code, out) == (1, "No\n")
    code, out, _ = run(
        "can", "michele", "sync", "app", "default/simple-app", "--policy-file", str(policy), "-q"
    )
    assert (code, out) == (1, "")


def test_can_rewrites_star_object_for_project_scoped_resources(tmp_path: Path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text("p, role:x, applications, get, */*, allow\n", encoding="utf-8")
    assert run("can", "role:x", "get", "applications", "*", "--policy-file", str(policy))[0] == 0
    assert run("can", "role:x", "get", "applications", "--policy-file", str(policy))[0] == 0


def test_can_reads_configmap_default_role_and_flag_overrides_it(tmp_path: Path) -> None:
    cm = {"kind": "ConfigMap", "data": {"policy.csv": SEED, "policy.default": "role:readonly"}}
    path = tmp_path / "argocd-rbac-cm.yaml"
    path.write_text(yaml.safe_dump(cm), encoding="utf-8")
    assert run("can", "stranger", "get", "clusters", "x", "--policy-file", str(path))[0] == 0
    assert (
        run("can", "stranger", "get", "clusters", "x", "--policy-file", str(path), "--no-use-builtin-policy")[
            0
        ]
        == 1
    )
    assert (
        run(
            "can",
            "stranger",
            "delete",
            "clusters",
            "x",
            "--policy-file",
            str(path),
            "--default-role",
            "role:admin",
        )[0]
        == 0
    )


def test_strict_mode_rejects_unknown_names(tmp_path: Path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text(SEED, encoding="utf-8")
    code, out, err = run("can", "michele", "get", "aplications", "default/x", "--policy-file", str(policy))
    assert code == 2 and out == ""
    assert "'aplications' is not a valid resource name" in err
    code, _, err = run("can", "michele", "destroy", "applications", "default/x", "--policy-file", str(policy))
    assert code == 2 and "'destroy' is not a valid action for applications" in err
    assert (
        run("can", "michele", "get", "aplications", "x", "--policy-file", str(policy), "--no-strict")[0] == 1
    )


def test_can_reports_bad_policy_and_missing_file(tmp_path: Path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text("p, alice, applications, get, */*, allow\nnonsense here\n", encoding="utf-8")
    code, _, err = run("can", "alice", "get", "applications", "a/b", "--policy-file", str(policy))
    assert code == 2 and f"{policy} line 2" in err
    code, _, err = run(
        "can", "alice", "get", "applications", "a/b", "--policy-file", str(tmp_path / "none.csv")
    )
    assert code == 2 and "cannot read policy file" in err


def test_can_warns_about_group_grants_without_binding(tmp_path: Path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text("p, my-org:team, logs, get, some-proj/some-app, allow\n", encoding="utf-8")
    code, out, err = run(
        "can", "my-org:team", "get", "logs", "some-proj/some-app", "--policy-file", str(policy)
    )
    assert (code, out) == (0, "Yes\n")
    assert "g, my-org:team, <role>" in err


def test_validate(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(SEED, encoding="utf-8")
    assert run("validate", "--policy-file", str(good)) == (0, "Policy is valid.\n", "")
    bad = tmp_path / "argocd-rbac-cm.yaml"
    bad.write_text(
        yaml.safe_dump(
            {"kind": "ConfigMap", "data": {"policy.csv": SEED, "policy.team.csv": "g, only-two\n"}}
        ),
        encoding="utf-8",
    )
    code, out, _ = run("validate", "--policy-file", str(bad))
    assert code == 1
    assert "Policy is invalid" in out
    assert "key policy.team.csv line 1" in out and "'g' rule has 3 fields" in out
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    code, _, err = run("validate", "--policy-file", str(empty))
    assert code == 1 and "empty" in err
