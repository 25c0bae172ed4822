"""``argosy cluster``, ``proj``, ``repo`` and ``account`` end to end, with two real clusters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cli_support import Env

from support.cluster import ClusterHandle
from support.controller import health_status, sync_status
from support.gitrepo import GitRepo

DEPLOY = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: hello
data:
  greeting: hello from argosy
"""


def _rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


def test_cluster_add_list_deploy_and_rename(
    env: Env, second_cluster: ClusterHandle, tmp_path_factory: pytest.TempPathFactory
) -> None:
    context = second_cluster.kubectl("config", "current-context").stdout.strip()
    added = env.cli.run(
        "cluster",
        "add",
        context,
        "--kubeconfig",
        str(second_cluster.kubeconfig),
        "--name",
        "second",
        "--label",
        "env=test",
        "--yes",
    )
    assert f"Cluster '{second_cluster.server.rstrip('/')}' added" in added.stdout
    for kind, name in (("serviceaccount", "argocd-manager"), ("secret", "argocd-manager-long-lived-token")):
        second_cluster.kubectl("get", kind, name, "-n", "kube-system")
    second_cluster.kubectl("get", "clusterrole", "argocd-manager-role")
    second_cluster.kubectl("get", "clusterrolebinding", "argocd-manager-role-binding")

    rows = _rows(env.cli.run("cluster", "list").stdout)
    assert rows[0] == ["SERVER", "NAME", "VERSION", "STATUS", "MESSAGE", "PROJECT"]
    server_rows = {r[0]: r for r in rows[1:]}  # probed by the API server
    core_rows = {r[0]: r for r in _rows(env.core("cluster", "list").stdout)[1:]}  # probed by the CLI
    for listing in (server_rows, core_rows):
        for server, name in (
            ("https://kubernetes.default.svc", "in-cluster"),
            (second_cluster.server.rstrip("/"), "second"),
        ):
            row = listing[server]
            assert row[1] == name and row[3] == "Successful", row
            assert row[2].count(".") == 1 and row[2].split(".")[0].isdigit(), row  # e.g. 1.31

    git = GitRepo(tmp_path_factory.mktemp("git2") / "remote.git")
    git.commit({"app/cm.yaml": DEPLOY})
    dest = f"remote-{env.namespace}"
    env.cli.run(
        "app",
        "create",
        "remote",
        "--repo",
        f"file://{git.bare}",
        "--path",
        "app",
        "--dest-name",
        "second",
        "--dest-namespace",
        dest,
        "--sync-option",
        "CreateNamespace=true",
    )
    env.cli.run("app", "sync", "remote", "--timeout", "120")
    env.ctl.wait_app(
        "remote", lambda a: sync_status(a) == "Synced" and health_status(a) == "Healthy", "synced"
    )
    assert (
        "hello from argosy"
        in second_cluster.kubectl("get", "configmap", "hello", "-n", dest, "-o", "yaml").stdout
    )
    env.cli.run("app", "delete", "remote", "--yes")

    bad = env.cli.run("cluster", "set", "second", "--name", "Not_RFC1123", code=20)
    assert "RFC 1123" in bad.stderr
    env.cli.run("cluster", "set", "second", "--name", "second-renamed")  # PUT through the server
    names = {r[1] for r in _rows(env.cli.run("cluster", "list").stdout)[1:]}
    assert "second-renamed" in names and "second" not in names
    env.core("cluster", "set", "second-renamed", "--name", "second-core")  # and without it
    env.cli.run("cluster", "set", "second-core", "--name", "second-renamed")
    got = json.loads(env.cli.run("cluster", "get", "second-renamed", "-o", "json").stdout)
    assert got["labels"]["env"] == "test" and "bearerToken" not in json.dumps(got)
    env.cli.run("cluster", "rm", "second-renamed", "--yes")
    assert "second-renamed" not in env.cli.run("cluster", "list").stdout


def test_proj_rules_and_windows(env: Env) -> None:
    env.cli.run(
        "proj",
        "create",
        "team",
        "--description",
        "the team",
        "-d",
        "https://kubernetes.default.svc,team-*",
        "-s",
        "https://git.example/team/*",
    )
    env.cli.run("proj", "add-source", "team", "https://git.example/shared.git")
    env.cli.run("proj", "add-destination", "team", "in-cluster", "shared", "--name")
    env.cli.run("proj", "allow-cluster-resource", "team", "rbac.authorization.k8s.io", "ClusterRole")
    env.cli.run("proj", "deny-namespace-resource", "team", "", "ResourceQuota")
    spec = json.loads(env.cli.run("proj", "get", "team", "-o", "json").stdout)["spec"]
    assert spec["sourceRepos"] == ["https://git.example/team/*", "https://git.example/shared.git"]
    assert {"name": "in-cluster", "namespace": "shared"} in spec["destinations"]
    assert spec["clusterResourceWhitelist"] == [{"group": "rbac.authorization.k8s.io", "kind": "ClusterRole"}]
    assert spec["namespaceResourceBlacklist"] == [{"group": "", "kind": "ResourceQuota"}]
    env.cli.run("proj", "remove-source", "team", "https://git.example/shared.git")
    assert "team" in [r[0] for r in _rows(env.cli.run("proj", "list").stdout)]

    later = datetime.now(UTC) + timedelta(hours=3)
    env.cli.run(
        "proj",
        "windows",
        "add",
        "team",
        "--kind",
        "deny",
        "--schedule",
        "* * * * *",
        "--duration",
        "1h",
        "--applications",
        "*",
    )
    env.cli.run(
        "proj",
        "windows",
        "add",
        "team",
        "--kind",
        "allow",
        "--schedule",
        f"0 {later.hour} * * *",
        "--duration",
        "1h",
        "--applications",
        "*",
        "--time-zone",
        "UTC",
    )
    env.cli.run("proj", "windows", "enable-manual-sync", "team", "0")
    rows = _rows(env.cli.run("proj", "windows", "list", "team").stdout)
    assert rows[0] == [
        "ID",
        "STATUS",
        "KIND",
        "SCHEDULE",
        "DURATION",
        "APPLICATIONS",
        "NAMESPACES",
        "CLUSTERS",
        "MANUALSYNC",
        "TIMEZONE",
        "USEANDOPERATOR",
    ]
    assert rows[1][:3] == ["0", "Active", "deny"] and "Enabled" in rows[1]
    assert rows[2][:3] == ["1", "Inactive", "allow"] and "Disabled" in rows[2]

    env.cli.run("proj", "windows", "delete", "team", "0")
    env.cli.run(
        "app",
        "create",
        "windowed",
        "--repo",
        "https://git.example/team/app.git",
        "--path",
        ".",
        "--project",
        "team",
        "--dest-server",
        "https://kubernetes.default.svc",
        "--dest-namespace",
        "team-a",
    )
    got = env.cli.run("app", "get", "windowed").stdout
    assert "SyncWindow:         Sync Denied" in got
    assert f"Next Sync Window:   {later:%Y-%m-%d} {later.hour:02d}:00:00 +0000 UTC" in got
    refused = env.cli.run("app", "sync", "windowed", code=20)
    assert "sync window" in refused.stderr
    env.cli.run("app", "delete", "windowed", "--yes", "--no-cascade")  # its repo does not exist

    env.cli.run("proj", "role", "create", "team", "ci")
    env.cli.run("proj", "role", "add-policy", "team", "ci", "--action", "sync", "--object", "*")
    token = env.cli.run("proj", "role", "create-token", "team", "ci", "-t").stdout.strip()
    assert token.count(".") == 2
    roles = json.loads(env.cli.run("proj", "get", "team", "-o", "json").stdout)["spec"]["roles"]
    assert roles[0]["policies"] == ["p, proj:team:ci, applications, sync, team/*, allow"]
    assert len(roles[0]["jwtTokens"]) == 1


def test_repo_add_list_rm_never_prints_the_password(env: Env) -> None:
    url = "https://git.example/private.git"
    env.cli.run("repo", "add", url, "--username", "bot", "--password", "s3cr3t-pa55")
    listing = env.cli.run("repo", "list").stdout + env.cli.run("repo", "list", "-o", "json").stdout
    assert url in listing and "s3cr3t-pa55" not in listing
    secrets = json.loads(
        env.cluster.kubectl(
            "get",
            "secrets",
            "-n",
            env.namespace,
            "-l",
            "argocd.argoproj.io/secret-type=repository",
            "-o",
            "json",
        ).stdout
    )
    assert len(secrets["items"]) == 1
    env.cli.run("repo", "rm", url)
    assert url not in env.cli.run("repo", "list").stdout


def test_account_update_password_for_a_new_account(env: Env) -> None:
    assert "alice" in [r[0] for r in _rows(env.cli.run("account", "list").stdout)]
    env.cli.run(
        "account",
        "update-password",
        "--account",
        "alice",
        "--current-password",
        env.admin_password,
        "--new-password",
        "Alice-Passw0rd",
    )
    alice_config = env.cli.config.with_name("alice-config")
    address = f"127.0.0.1:{env.server.port}"
    env.cli.run(
        "login",
        address,
        "--plaintext",
        "--username",
        "alice",
        "--password",
        "Alice-Passw0rd",
        config=alice_config,
    )
    info = env.cli.run("account", "get-user-info", config=alice_config).stdout
    fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in info.splitlines())}
    assert fields["Logged In"] == "true" and fields["Username"] == "alice"
    env.cli.run(
        "account",
        "update-password",
        "--current-password",
        "Alice-Passw0rd",
        "--new-password",
        "Alice-Passw0rd-2",
        config=alice_config,
    )
    wrong = env.cli.run(
        "login",
        address,
        "--plaintext",
        "--username",
        "alice",
        "--password",
        "Alice-Passw0rd",
        config=alice_config,
        code=20,
    )
    assert "error:" in wrong.stderr
    env.cli.run(
        "login",
        address,
        "--plaintext",
        "--username",
        "alice",
        "--password",
        "Alice-Passw0rd-2",
        config=alice_config,
    )
    env.cli.run("logout", config=alice_config)
    after = env.cli.run("app", "list", config=alice_config, code=20)
    assert "argosy login" in after.stderr
