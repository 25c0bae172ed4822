"""KSOPS expansion, dotenv rules, key selection, sealed cache entries and the still-encrypted guard."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from argosy.repo.errors import DecryptionError, PathEscapeError
from argosy.repo.renderers import RenderContext, Rendered, RenderInput
from argosy.repo.renderers import directory as directory_renderer
from argosy.repo.result import Provenance, RenderedObject
from argosy.repo.sops import dotenv, hooks, ksops, selection
from argosy.repo.sops.decrypt import Decryptor
from argosy.repo.sops.keys import Key, KeyMaterial
from argosy.repo.sops.seal import SENSITIVE, Sealer
from argosy.repo.source import parse_source

FIXTURES = Path(__file__).parent / "sops_fixtures"


def material() -> KeyMaterial:
    return KeyMaterial([Key("age", "test/age.key", (FIXTURES / "age.key").read_text())])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    for name in ("secret.enc.yaml", "app.enc.env", "blob.enc.bin", "config.enc.json"):
        shutil.copy(FIXTURES / name, root / "app" / name)
    return root


def test_ksops_files_and_secret_from_produce_what_the_plugin_emits(repo: Path) -> None:
    config = {
        "apiVersion": "viaduct.ai/v1",
        "kind": "ksops",
        "metadata": {"name": "gen"},
        "files": ["./secret.enc.yaml"],
        "secretFrom": [
            {
                "metadata": {"name": "app", "namespace": "ns", "labels": {"a": "b"}},
                "type": "kubernetes.io/generic",
                "files": ["./config.enc.json", "renamed.json=./config.enc.json"],
                "binaryFiles": ["./blob.enc.bin"],
                "envs": ["./app.enc.env"],
            }
        ],
    }
    with Decryptor(material()) as dec:
        out = ksops.generate(config, repo / "app", repo, dec)
    assert [o["kind"] for o in out] == ["Secret", "Secret"]
    assert out[0]["metadata"]["name"] == "db" and out[0]["stringData"]["password"] == "s3cr3t-value"
    generated = out[1]
    assert generated["metadata"] == {"name": "app", "namespace": "ns", "labels": {"a": "b"}}
    assert generated["type"] == "kubernetes.io/generic"
    config_text = (FIXTURES / "config.enc.json.clear").read_text()
    assert generated["stringData"] == {
        "config.enc.json": config_text,
        "renamed.json": config_text,
        "USERNAME": "admin",
        "PASSWORD": "1f2d1e2e67df",
        "MULTI": "line1\\nline2",  # godotenv leaves escapes of unquoted values alone
    }
    assert (
        base64.b64decode(generated["data"]["blob.enc.bin"]) == (FIXTURES / "blob.enc.bin.clear").read_bytes()
    )


def test_ksops_refuses_paths_outside_the_repository_and_configs_without_content(repo: Path) -> None:
    with Decryptor(material()) as dec:
        with pytest.raises(DecryptionError, match="outside the repository"):
            ksops.generate({"files": ["../../etc/passwd"]}, repo / "app", repo, dec)
        with pytest.raises(DecryptionError, match="missing the required 'files' or 'secretFrom'"):
            ksops.generate({"metadata": {"name": "x"}}, repo / "app", repo, dec)


def test_dotenv_follows_godotenv() -> None:
    text = 'A=one\nexport B=two # comment\n# skipped\nC="x\\ny \\" z"\nD=\'$A\'\nE=${A}-$B\nF=pa$word\n'
    assert dotenv.parse(text) == {
        "A": "one",
        "B": "two",
        "C": 'x\ny " z',
        "D": "$A",
        "E": "one-two",
        "F": "pa",
    }
    with pytest.raises(ValueError, match="expected KEY=VALUE"):
        dotenv.parse("just-a-word\n")


def _secret(name: str, entry: str = "age.agekey") -> dict[str, object]:
    value = base64.b64encode((FIXTURES / "age.key").read_bytes()).decode()
    return {"metadata": {"name": name}, "data": {entry: value, "other": "eA=="}}


def test_key_secrets_are_chosen_app_then_project_then_argocd_cm_then_defaults() -> None:
    secrets = {n: _secret(n) for n in ("app-key", "proj-key", "cm-key", "sops-age")}
    app = {"metadata": {"annotations": {selection.KEY_SECRETS: "app-key"}}}
    project = {"metadata": {"name": "p", "annotations": {selection.KEY_SECRETS: "proj-key"}}}
    cm = {selection.CM_KEY_SECRETS: "cm-key"}

    def sources(a: dict[str, object], p: dict[str, object] | None, c: dict[str, str]) -> list[str]:
        return [k.source for k in selection.key_material(a, p, c, secrets.get).keys]

    assert sources(app, project, cm) == ["argocd/app-key: age.agekey"]
    assert sources({}, project, cm) == ["argocd/proj-key: age.agekey"]
    assert sources({}, None, cm) == ["argocd/cm-key: age.agekey"]
    assert sources({}, None, {}) == ["argocd/sops-age: age.agekey"]


def test_a_project_restricts_the_key_secrets_its_apps_may_use() -> None:
    secrets = {"team-a-key": _secret("team-a-key"), "sops-age": _secret("sops-age")}
    project = {"metadata": {"name": "a", "annotations": {selection.ALLOWED_KEY_SECRETS: "team-a-*"}}}
    app = {"metadata": {"annotations": {selection.KEY_SECRETS: "sops-age"}}}
    with pytest.raises(ValueError, match="'sops-age' is not allowed in project 'a'"):
        selection.key_material(app, project, {}, secrets.get)
    defaults = selection.key_material(
        {}, project, {selection.CM_KEY_SECRETS: "sops-age,team-a-key"}, secrets.get
    )
    assert [k.source for k in defaults.keys] == ["argocd/team-a-key: age.agekey"]


def test_the_tutorial_sops_gpg_secret_and_missing_secrets_are_reported() -> None:
    gpg = {
        "metadata": {"name": "sops-gpg"},
        "stringData": {"sops.asc": "-----BEGIN PGP PRIVATE KEY BLOCK-----"},
    }
    found = selection.key_material({}, None, {}, {"sops-gpg": gpg}.get)
    assert [(k.type, k.source) for k in found.keys] == [("pgp", "argocd/sops-gpg: sops.asc")]
    missing = selection.key_material({}, None, {selection.CM_KEY_SECRETS: "nope"}, {}.get)
    assert missing.notes == ["key Secret argocd/nope not found"]


def test_sealed_cache_entries_hold_no_clear_text_and_die_with_the_process() -> None:
    entry = {"objects": [{"object": {"stringData": {"pw": "s3cr3t-value"}}}], SENSITIVE: True}
    sealer = Sealer()
    stored = sealer.seal(entry)
    assert "s3cr3t-value" not in json.dumps(stored)
    assert sealer.unseal(stored) == entry
    assert Sealer().unseal(stored) is None  # another process (a restart): a miss
    plain = {"objects": []}
    assert sealer.seal(plain) is plain


def test_a_render_holding_secret_values_is_sealed_even_without_sops() -> None:
    """A Secret from Git, a Helm chart or a secretGenerator is kept out of the disk cache in clear."""
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"pw": "czNjcjN0"}}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}
    entry = {"objects": [{"object": cm}, {"object": secret}], SENSITIVE: False}
    sealer = Sealer()
    stored = sealer.seal(entry)
    assert "czNjcjN0" not in json.dumps(stored) and sealer.unseal(stored) == entry
    empty_secret = {"objects": [{"object": {**secret, "data": {}}}, {"object": cm}]}
    assert sealer.seal(empty_secret) is empty_secret  # nothing to hide: stays readable after a restart
    other_kind = {"objects": [{"object": {**secret, "apiVersion": "example.com/v1"}}]}
    assert sealer.seal(other_kind) is other_kind


def _rendered(obj: dict[str, object]) -> Rendered:
    return Rendered([RenderedObject(obj, Provenance(0, "app/x.yaml"))])


def test_a_still_encrypted_object_is_never_passed_on() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"k": "ENC[AES256_GCM,data:x]"},
    }
    with pytest.raises(
        DecryptionError, match=r"Secret s \(from app/x.yaml\) is still SOPS-encrypted \(at data.k\)"
    ):
        hooks.finish(_rendered(obj), Decryptor())


def test_a_rendered_object_with_sops_metadata_is_decrypted_unless_it_was_transformed() -> None:
    import yaml

    raw = yaml.safe_load((FIXTURES / "secret.enc.yaml").read_text())
    rendered = _rendered(dict(raw))
    with Decryptor(material()) as dec:
        hooks.finish(rendered, dec)
        assert rendered.objects[0].object["stringData"]["password"] == "s3cr3t-value"
        assert "sops" not in rendered.objects[0].object
        raw["metadata"]["namespace"] = "changed-by-kustomize"
        with pytest.raises(DecryptionError, match="changed by the kustomization"):
            hooks.finish(_rendered(raw), dec)


def test_the_directory_renderer_decrypts_sops_files(repo: Path) -> None:
    (repo / "app" / "blob.enc.bin").unlink()
    (repo / "app" / "app.enc.env").unlink()
    source = parse_source({"repoURL": "file:///x", "path": "app"}, "spec.source")
    with Decryptor(material()) as dec:
        inp = RenderInput(repo, repo / "app", source, 0, RenderContext("t"), sops=dec)
        out = directory_renderer.render(inp)
    by_file = {o.provenance.file: o.object for o in out.objects}
    assert by_file["app/secret.enc.yaml"]["stringData"]["password"] == "s3cr3t-value"
    assert "sops" not in by_file["app/secret.enc.yaml"]


def test_an_escaping_reference_is_refused_before_anything_is_decrypted(repo: Path) -> None:
    from argosy.repo.sops.kustomize import scan

    (repo / "app" / "kustomization.yaml").write_text("resources: [../../outside.yaml]\n")
    with pytest.raises(PathEscapeError):
        scan(repo, repo / "app")
