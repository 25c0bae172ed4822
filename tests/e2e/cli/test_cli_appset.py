"""``argosy appset`` end to end, through the API server and with ``--core``: create, list, get,
generate (dry run with the cluster's real clusters and projects), delete."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from cli_support import Env


def _appset_file(tmp_path: Path, env: Env, name: str, project: str = "default") -> Path:
    appset = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": name, "namespace": env.namespace},
        "spec": {
            "generators": [{"list": {"elements": [{"env": "dev"}, {"env": "prod"}]}}],
            "template": {
                "metadata": {"name": f"{name}-{{{{env}}}}"},
                "spec": {
                    "project": project,
                    "source": {"repoURL": "https://git.example.com/apps.git", "path": "{{env}}"},
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": "{{env}}"},
                },
            },
        },
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(appset))
    return path


def test_appset_create_list_get_generate_delete_through_the_server_and_core(env: Env, tmp_path: Path) -> None:
    path = _appset_file(tmp_path, env, "coffee")
    env.cli.run("appset", "create", "-f", str(path))
    again = env.cli.run("appset", "create", "-f", str(path))  # same spec: no error, no change
    assert "created" in again.stdout
    rows = env.cli.run("appset", "list").stdout.splitlines()
    assert rows[0].split()[:3] == ["NAME", "PROJECT", "SYNCPOLICY"] and rows[1].split()[0] == "coffee"
    got = json.loads(env.core("appset", "get", "coffee", "-o", "json").stdout)
    assert got["spec"]["template"]["metadata"]["name"] == "coffee-{{env}}"
    generated = list(yaml.safe_load_all(env.cli.run("appset", "generate", "-f", str(path)).stdout))
    assert [a["metadata"]["name"] for a in generated] == ["coffee-dev", "coffee-prod"]
    env.core("appset", "delete", "coffee", "-y")
    assert "coffee" not in env.cli.run("appset", "list", "-o", "name").stdout.split()


def test_generate_refuses_a_project_that_does_not_exist_and_upsert_is_needed_to_change(
    env: Env, tmp_path: Path
) -> None:
    bad = env.cli.run("appset", "generate", "-f", str(_appset_file(tmp_path, env, "tea", "nope")), code=1)
    assert "project nope which does not exist" in bad.stderr
    path = _appset_file(tmp_path, env, "tea")
    env.cli.run("appset", "create", "-f", str(path))
    changed = _appset_file(tmp_path, env, "tea", "nope")
    refused = env.cli.run("appset", "create", "-f", str(changed), code=20)
    assert "upsert" in refused.stderr
    env.cli.run("appset", "create", "-f", str(changed), "--upsert")
    assert (
        json.loads(env.cli.run("appset", "get", "tea", "-o", "json").stdout)["spec"]["template"]["spec"][
            "project"
        ]
        == "nope"
    )
    env.cli.run("appset", "delete", "tea", "-y")
