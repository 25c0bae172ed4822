"""``argosy admin app render --repo-creds-from-cluster`` reads repository Secrets from a real cluster."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from argosy.cli.main import app as cli
from support.git_server import GitHttpServer
from support.naming import GIT_USER, unique
from support.secrets import application, repo_secret


def test_repo_creds_from_cluster(
    cluster: object, namespace: str, git_server: GitHttpServer, tmp_path: Path
) -> None:
    name = unique("fromcluster")
    git_server.create_repo(name, private=True).commit(
        {"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: via-cluster\n"}
    )
    url = git_server.url(name)
    template = repo_secret(
        "repo-creds", url=url.rsplit("/", 1)[0], username=GIT_USER[0], password=GIT_USER[1]
    )
    template["metadata"]["namespace"] = namespace
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(template))  # type: ignore[attr-defined]
    app_file = tmp_path / "app.yaml"
    app_file.write_text(yaml.safe_dump(application({"repoURL": url, "path": "app"})))
    args = ["admin", "app", "render", "-f", str(app_file), "--cache-dir", str(tmp_path / "c")]
    kube = ["--kubeconfig", str(cluster.kubeconfig), "--argocd-namespace", namespace]  # type: ignore[attr-defined]
    out = CliRunner().invoke(cli, [*args, "--repo-creds-from-cluster", *kube])
    assert out.exit_code == 0, out.output
    assert yaml.safe_load(out.stdout)["metadata"]["name"] == "via-cluster"
    assert CliRunner().invoke(cli, args).exit_code == 1, "without the cluster's Secrets the repo is private"
