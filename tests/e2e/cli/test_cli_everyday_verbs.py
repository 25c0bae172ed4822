"""An Argo CD user's everyday verbs and habits, through the real server and with ``--core``.

``account can-i``, ``admin initial-password``, global flags after the
sub-command, a password change that keeps the CLI logged in, JSON bodies
without a Content-Type, and an ``app sync`` summary that is never stale:
each resource's wave, ``created``/``unchanged`` as kubectl says, and the
app's sync and health as compared *after* the sync.
"""

from __future__ import annotations

import json

import httpx
import yaml
from cli_support import Env

from support.gitrepo import GitRepo


def _rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


def test_can_i_initial_password_and_flags_after_the_sub_command(env: Env) -> None:
    for run in (env.cli.run, env.core):
        assert run("account", "can-i", "sync", "applications", "default/guestbook").stdout.strip() == "yes"
    initial = env.cli.run("admin", "initial-password", "-n", env.namespace).stdout.splitlines()
    assert initial[0] == env.admin_password and "update-password" in initial[-1]

    # No context at all: everything comes from flags placed after the sub-command.
    token = yaml.safe_load(env.cli.config.read_text())["users"][0]["auth-token"]
    bare = env.cli.config.with_name("no-context")
    address = f"127.0.0.1:{env.server.port}"
    listed = env.cli.run(
        "app", "list", "--server", address, "--plaintext", "--auth-token", token, "-o", "name", config=bare
    )
    assert listed.returncode == 0
    denied = env.cli.run("account", "can-i", "sync", "applications", "default/x", "--server", address,
                         "--plaintext", "--auth-token", "not-a-token", code=20, config=bare)  # fmt: skip
    assert "log in again" in denied.stderr


def test_changing_your_own_password_keeps_you_logged_in(env: Env) -> None:
    config = env.cli.config.with_name("bob-config")
    env.cli.run("account", "update-password", "--account", "alice", "--current-password",
                env.admin_password, "--new-password", "Alice-0ld-Passw0rd")  # fmt: skip
    address = f"127.0.0.1:{env.server.port}"
    env.cli.run("login", address, "--plaintext", "--username", "alice", "--password", "Alice-0ld-Passw0rd",
                config=config)  # fmt: skip
    changed = env.cli.run("account", "update-password", "--current-password", "Alice-0ld-Passw0rd",
                          "--new-password", "Alice-N3w-Passw0rd", config=config)  # fmt: skip
    assert "Logged in again as 'alice'" in changed.stdout
    info = env.cli.run("account", "get-user-info", config=config).stdout  # no 'password changed' error
    assert "alice" in info


def test_json_bodies_need_no_content_type(env: Env) -> None:
    body = json.dumps({"username": "admin", "password": env.admin_password})
    with httpx.Client(base_url=env.server.url) as api:
        for headers in ({}, {"Content-Type": "application/x-www-form-urlencoded"}):
            resp = api.post("/api/v1/session", content=body, headers=headers)
            assert resp.status_code == 200, resp.text
            assert resp.json()["token"]


def test_sync_summary_shows_waves_kubectl_verbs_and_the_status_after_the_sync(
    env: Env, tmp_path: object
) -> None:
    repo = GitRepo(env.cli.config.with_name("waves.git"))
    wave = {"argocd.argoproj.io/sync-wave": "-1"}
    first = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"},
             "metadata": {"name": "first", "annotations": wave}}  # fmt: skip
    second = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "second"}, "data": {"a": "b"}}
    repo.commit({"app/all.yaml": yaml.safe_dump_all([first, second])})
    dest = f"{env.namespace}-waves"
    env.cli.run("app", "create", "waves", "--repo", f"file://{repo.bare}", "--path", "app",
                "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", dest,
                "--sync-option", "CreateNamespace=true")  # fmt: skip
    for verb in ("created", "unchanged"):
        out = env.cli.run("app", "sync", "waves", "--timeout", "120").stdout
        assert "Sync Status:        Synced" in out and "Health Status:      Healthy" in out, out
        results = {r[4]: r for r in _rows(out.split("PHASE", 1)[1])[1:] if len(r) > 4}  # GROUP is empty
        assert results["first"][:2] == ["Sync", "-1"], results
        assert results["second"][:2] == ["Sync", "0"], results
        assert results["first"][-1] == verb and results["second"][-1] == verb, results
