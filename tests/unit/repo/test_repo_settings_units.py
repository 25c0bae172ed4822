"""Repository Secrets and credential templates parsed as Argo CD does."""

from __future__ import annotations

import pytest

from argosy.settings.repositories import (
    RepositorySecretError,
    RepositoryStore,
    normalize_git_url,
    repository_from_secret,
    same_url,
)
from support.secrets import known_hosts_cm, repo_secret, tls_certs_cm


def test_repository_secret_fields() -> None:
    repo = repository_from_secret(
        repo_secret(
            url="https://git.example.com/org/app.git",
            username="u",
            password="p",
            insecure="true",
            enableOCI="True",
            type="helm",
            project="team",
            tlsClientCertData="CERT",
            tlsClientCertKey="KEY",
        )
    )
    assert (repo.username, repo.password, repo.insecure, repo.enable_oci) == ("u", "p", True, True)
    assert (repo.type, repo.project, repo.tls_client_cert_key) == ("helm", "team", "KEY")
    assert "'p'" not in repr(repo) and "'KEY'" not in repr(repo), "secrets stay out of repr (and logs)"


def test_string_data_and_bad_values() -> None:
    secret = repo_secret(url="https://x")
    secret["stringData"] = {"username": "plain"}
    assert repository_from_secret(secret).username == "plain"
    with pytest.raises(RepositorySecretError, match=r"'insecure'.*'yes'"):
        repository_from_secret(repo_secret(url="https://x", insecure="yes"))
    with pytest.raises(RepositorySecretError, match="'url' is required"):
        repository_from_secret(repo_secret(username="u"))
    broken = repo_secret(url="https://x")
    broken["data"]["password"] = "!!not-base64!!"
    with pytest.raises(RepositorySecretError, match="'password'"):
        repository_from_secret(broken)


def test_url_normalization() -> None:
    assert normalize_git_url("git@GitHub.com:Org/Repo.git") == "git@github.com/org/repo"
    assert same_url("https://github.com/org/repo.git", "https://GITHUB.com/org/repo")
    assert not same_url("https://github.com/org/repo", "https://github.com/org/repo2")


def test_template_longest_prefix_and_own_credentials_first() -> None:
    store = RepositoryStore.from_objects(
        [
            repo_secret("repo-creds", url="https://git.example.com", username="short", password="1"),
            repo_secret("repo-creds", url="https://git.example.com/org", username="long", password="2"),
            repo_secret(
                "repo-creds", url="https://other.example.com/org/app", username="other", password="3"
            ),
            repo_secret(url="https://git.example.com/org/own.git", username="own", password="4"),
            repo_secret(url="https://git.example.com/org/nocreds", insecure="true"),
        ]
    )
    assert store.lookup("https://git.example.com/org/app").username == "long"
    assert store.lookup("https://git.example.com/else/app").username == "short"
    assert store.lookup("https://GIT.example.com/org/own").username == "own"
    inherited = store.lookup("https://git.example.com/org/nocreds.git")
    assert (inherited.username, inherited.insecure, inherited.inherited_creds) == ("long", True, True)
    assert store.lookup("https://nowhere.example.com/x").username == ""


def test_project_scoped_repository_wins() -> None:
    store = RepositoryStore.from_objects(
        [
            repo_secret(url="https://g/x", username="global"),
            repo_secret(url="https://g/x", username="scoped", project="team"),
        ]
    )
    assert store.lookup("https://g/x", "team").username == "scoped"
    assert store.lookup("https://g/x", "other").username == "global"


def test_configmaps_and_roundtrip() -> None:
    store = RepositoryStore.from_objects(
        [
            tls_certs_cm({"git.example.com": "PEM"}),
            known_hosts_cm("host ssh-ed25519 AAAA"),
            repo_secret(url="u"),
        ]
    )
    assert store.ca_bundle_for("git.example.com:8443") == "PEM"
    assert RepositoryStore.from_dict(store.to_dict()) == store
