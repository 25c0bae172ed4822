"""SOPS-encrypted repositories (encrypted by the real sops binary) rendered from a real Git server."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.devcluster import build
from argosy.repo import RenderResult, RepoService
from argosy.repo.errors import RepoError
from argosy.repo.sops.keys import Key, KeyMaterial
from support.git_server import GitHttpServer
from support.naming import unique
from support.secrets import application
from support.sops import SopsKeys

Render = Callable[..., RenderResult]

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          env:
            - {name: API_TOKEN, value: deploy-token-0451}
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
stringData:
  password: db-password-7781
"""
ENV = "USERNAME=admin\nPASSWORD=env-password-3312\n"
GENERATOR = """\
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: example-secret-generator
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ksops
files:
  - ./deployment.enc.yaml
  - ./secret.enc.yaml
"""
PLAINTEXTS = ("deploy-token-0451", "db-password-7781", "env-password-3312")


@pytest.fixture(scope="module")
def sops_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SopsKeys]:
    keys = SopsKeys(tmp_path_factory.mktemp("sops-keys"))
    yield keys
    keys.close()


def tutorial(keys: SopsKeys, pgp: bool = False) -> dict[str, str | None]:
    """The KSOPS tutorial's layout: an encrypted Deployment (containers only), a Secret, a generator."""
    return {
        "app/deployment.enc.yaml": keys.encrypt(
            "deployment.yaml", DEPLOYMENT, "--encrypted-regex", "^(containers)$", pgp=pgp
        ),
        "app/secret.enc.yaml": keys.encrypt(
            "secret.yaml", SECRET, "--encrypted-regex", "^(data|stringData)$", pgp=pgp
        ),
        "app/secret-generator.yaml": GENERATOR,
        "app/kustomization.yaml": "generators:\n  - ./secret-generator.yaml\n",
    }


def _app(
    git_server: GitHttpServer, files: dict[str, str | None], path: str = "app", **kw: Any
) -> dict[str, Any]:
    name = unique("sops")
    git_server.create_repo(name).commit(files)
    return application({"repoURL": git_server.url(name), "path": path, "targetRevision": "HEAD", **kw})


def _objects(result: RenderResult) -> dict[str, dict[str, Any]]:
    return {f"{o.object['kind']}/{o.object['metadata']['name']}": o.object for o in result.objects}


def test_the_ksops_tutorial_layout_renders_decrypted_with_age(
    git_server: GitHttpServer, render: Render, sops_keys: SopsKeys
) -> None:
    result = render(_app(git_server, tutorial(sops_keys)), sops=sops_keys.age_material())
    objects = _objects(result)
    container = objects["Deployment/web"]["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "API_TOKEN", "value": "deploy-token-0451"}]
    assert objects["Secret/db"]["stringData"] == {"password": "db-password-7781"}
    assert all("sops" not in o for o in objects.values())
    assert {o.provenance.file for o in result.objects} == {"app/secret-generator.yaml"}


def test_the_tutorial_sops_gpg_secret_opens_pgp_encrypted_files(
    git_server: GitHttpServer, render: Render, sops_keys: SopsKeys
) -> None:
    from argosy.repo.sops.selection import key_material

    material = key_material({}, None, {}, {"sops-gpg": sops_keys.gpg_secret()}.get)
    objects = _objects(render(_app(git_server, tutorial(sops_keys, pgp=True)), sops=material))
    assert objects["Secret/db"]["stringData"] == {"password": "db-password-7781"}


def test_flux_style_secret_and_encrypted_secret_generator_env(
    git_server: GitHttpServer, render: Render, sops_keys: SopsKeys
) -> None:
    files: dict[str, str | None] = {
        "app/kustomization.yaml": yaml.safe_dump(
            {
                "namespace": "team",
                "resources": ["secret.enc.yaml"],
                "secretGenerator": [{"name": "env", "envs": ["app.env"]}],
            }
        ),
        "app/secret.enc.yaml": sops_keys.encrypt(
            "secret.yaml", SECRET, "--encrypted-regex", "^(data|stringData)$"
        ),
        "app/app.env": sops_keys.encrypt("app.env", ENV),
    }
    objects = _objects(render(_app(git_server, files), sops=sops_keys.age_material()))
    assert objects["Secret/db"]["metadata"]["namespace"] == "team"
    assert objects["Secret/db"]["stringData"] == {"password": "db-password-7781"}
    generated = next(o for k, o in objects.items() if k.startswith("Secret/env-"))
    assert base64.b64decode(generated["data"]["PASSWORD"]).decode() == "env-password-3312"


def test_a_plain_directory_with_a_flux_style_secret(
    git_server: GitHttpServer, render: Render, sops_keys: SopsKeys
) -> None:
    files = {"app/secret.yaml": sops_keys.encrypt("secret.yaml", SECRET)}
    objects = _objects(render(_app(git_server, files), sops=sops_keys.age_material()))
    assert objects["Secret/db"]["stringData"] == {"password": "db-password-7781"}


def test_helm_secrets_values_decrypt_only_when_the_app_opts_in(
    git_server: GitHttpServer, render: Render, sops_keys: SopsKeys
) -> None:
    files: dict[str, str | None] = {
        "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        "chart/templates/secret.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: helm}\n"
            "stringData: {pw: {{ .Values.pw | quote }}}\n"
        ),
        "chart/secrets.yaml": sops_keys.encrypt("secrets.yaml", "pw: helm-password-9\n"),
    }
    app = _app(git_server, files, path="chart", helm={"valueFiles": ["secrets.yaml"]})
    material = sops_keys.age_material()
    with pytest.raises(
        RepoError, match=r"Secret helm \(from chart/templates/secret.yaml\) is still SOPS-encrypted"
    ):
        render(app, sops=material)
    material.helm_values = True
    objects = _objects(render(app, sops=material))
    assert objects["Secret/helm"]["stringData"] == {"pw": "helm-password-9"}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong key", r"app/secret\.enc\.yaml: cannot decrypt: no configured key opens it"),
        ("no key", r"app/secret\.enc\.yaml: cannot decrypt: .*no SOPS key is configured"),
        ("tampered", r"app/secret\.enc\.yaml: cannot decrypt: MAC mismatch"),
        ("truncated", r"app/secret\.enc\.yaml: cannot decrypt: .*truncated"),
        ("kms only", r"app/secret\.enc\.yaml: cannot decrypt: .*AWS KMS, which Argosy does not support"),
    ],
)
@pytest.mark.parametrize("layout", ["ksops", "flux"])
def test_undecryptable_files_fail_the_render_naming_file_and_cause(
    git_server: GitHttpServer, render: Render, sops_keys: SopsKeys, case: str, expected: str, layout: str
) -> None:
    encrypted = sops_keys.encrypt("secret.yaml", SECRET, "--encrypted-regex", "^(data|stringData)$")
    if case == "tampered":
        encrypted = encrypted.replace("name: db", "name: dbx")
    elif case == "truncated":
        encrypted = encrypted[: len(encrypted) // 2]
    elif case == "kms only":
        meta = yaml.safe_load(encrypted)
        del meta["sops"]["age"]
        meta["sops"]["kms"] = [{"arn": "arn:aws:kms:eu-west-1:1:key/k", "enc": "AQIC", "created_at": "x"}]
        encrypted = yaml.safe_dump(meta)
    if layout == "ksops":
        files = {
            "app/secret.enc.yaml": encrypted,
            "app/gen.yaml": (
                "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata: {name: g}\nfiles: [./secret.enc.yaml]\n"
            ),
            "app/kustomization.yaml": "generators: [./gen.yaml]\n",
        }
    else:
        files = {"app/secret.enc.yaml": encrypted, "app/kustomization.yaml": "resources: [secret.enc.yaml]\n"}
    other = SopsKeys(sops_keys.root / unique("other")) if case == "wrong key" else None
    material = {"wrong key": other.age_material() if other else None, "no key": KeyMaterial()}.get(
        case, sops_keys.age_material()
    )
    try:
        with pytest.raises(RepoError, match=expected) as err:
            render(_app(git_server, files), sops=material)
        assert "db-password-7781" not in str(err.value)
    finally:
        if other:
            other.close()


def test_nothing_decrypted_reaches_the_cache_directory_and_a_restart_renders_again(
    git_server: GitHttpServer, tmp_path: Path, sops_keys: SopsKeys
) -> None:
    from argosy.repo import RenderRequest

    files = tutorial(sops_keys)
    files["app/kustomization.yaml"] = "generators: [./secret-generator.yaml]\nresources: [plain.enc.yaml]\n"
    files["app/plain.enc.yaml"] = sops_keys.encrypt(
        "plain.yaml",
        SECRET.replace("name: db", "name: flux").replace("db-password-7781", "env-password-3312"),
    )
    app = _app(git_server, files)
    root = tmp_path / "repo-server"
    first = RepoService(root, timeout=30)
    request = RenderRequest.from_application(app, sops=sops_keys.age_material())
    assert len(first.render(request).objects) == 3
    assert first.render(request).cached
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in PLAINTEXTS:
                assert secret.encode() not in data, f"{secret} found in {path}"
    restarted = RepoService(root, timeout=30)
    again = restarted.render(request)
    assert not again.cached and restarted.renders == 1
    for tmp in Path(os.environ.get("TMPDIR", "/tmp")).glob("argosy-render-*"):
        assert not (tmp / "sops-tree").exists()


# --------------------------------------------------------------------------- KSOPS equivalence
EQUIVALENCE: dict[str, dict[str, str]] = {
    "files": {"kustomization.yaml": "generators: [./gen.yaml]\n", "gen.yaml": "files: [./secret.enc.yaml]\n"},
    "secret-from-files": {
        "kustomization.yaml": "generators: [./gen.yaml]\n",
        "gen.yaml": (
            "secretFrom:\n- metadata: {name: from-files, labels: {a: b}, annotations: {c: d}}\n"
            "  type: Opaque\n  files: [./config.enc.json, renamed.yaml=./values.enc.yaml]\n"
        ),
    },
    "secret-from-binary-and-envs": {
        "kustomization.yaml": "namePrefix: p-\ngenerators: [./gen.yaml]\n",
        "gen.yaml": (
            "secretFrom:\n- metadata:\n    name: mixed\n    namespace: ns\n"
            "    annotations: {kustomize.config.k8s.io/needs-hash: 'true'}\n"
            "  binaryFiles: [./blob.enc.bin]\n  envs: [./app.enc.env]\n"
        ),
    },
    "behavior-merge": {
        "base/kustomization.yaml": "resources: [secret.yaml]\n",
        "base/secret.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db, labels: {base: x}}\n"
            "stringData: {old: kept}\ndata: {other: b3RoZXI=}\n"
        ),
        "kustomization.yaml": "resources: [./base]\ngenerators: [./gen.yaml]\n",
        "gen.yaml": "files: [./merge.enc.yaml]\n",
    },
    "behavior-replace": {
        "base/kustomization.yaml": "resources: [secret.yaml]\n",
        "base/secret.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db, labels: {base: x}}\nstringData: {old: gone}\n"
        ),
        "kustomization.yaml": "resources: [./base]\ngenerators: [./gen.yaml]\n",
        "gen.yaml": "files: [./replace.enc.yaml]\n",
    },
}


def _equivalence_files(keys: SopsKeys) -> dict[str, str]:
    def annotated(behavior: str) -> str:
        return SECRET.replace(
            "  name: db\n", f"  name: db\n  annotations:\n    kustomize.config.k8s.io/behavior: {behavior}\n"
        )

    return {
        "secret.enc.yaml": keys.encrypt("secret.yaml", SECRET),
        "config.enc.json": keys.encrypt(
            "config.json", '{"url": "https://db", "password": "json-pw", "n": 2.5}'
        ),
        "values.enc.yaml": keys.encrypt("values.yaml", "nested:\n  list: [a, b]\n  token: yaml-token\n"),
        "blob.enc.bin": keys.encrypt("blob.bin", "binary\u0000payload\n"),
        "app.enc.env": keys.encrypt("app.env", ENV + 'QUOTED="two words"\n'),
        "merge.enc.yaml": keys.encrypt("merge.yaml", annotated("merge")),
        "replace.enc.yaml": keys.encrypt("replace.yaml", annotated("replace")),
    }


def _reference_build(directory: Path, keys: SopsKeys, work: Path) -> list[dict[str, Any]]:
    """``kustomize build --enable-alpha-plugins --enable-exec`` with the compiled ksops plugin."""
    home = work / "plugins" / "viaduct.ai" / "v1" / "ksops"
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "ksops").exists():
        (home / "ksops").symlink_to(build.binary("ksops"))
    env = {
        **os.environ,
        "KUSTOMIZE_PLUGIN_HOME": str(work / "plugins"),
        "SOPS_AGE_KEY_FILE": str(keys.age_file),
    }
    out = subprocess.run(
        [str(build.binary("kustomize")), "build", "--enable-alpha-plugins", "--enable-exec", str(directory)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@pytest.mark.parametrize("case", sorted(EQUIVALENCE))
def test_native_ksops_expansion_equals_kustomize_with_the_ksops_plugin(
    case: str, git_server: GitHttpServer, render: Render, sops_keys: SopsKeys, tmp_path: Path
) -> None:
    build.ensure((build.KSOPS,))
    header = "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata: {name: gen}\n"
    layout = {**_equivalence_files(sops_keys), **EQUIVALENCE[case]}
    layout["gen.yaml"] = header + layout["gen.yaml"]
    checkout = tmp_path / "checkout"
    for rel, content in layout.items():
        (checkout / rel).parent.mkdir(parents=True, exist_ok=True)
        (checkout / rel).write_text(content)
    reference = _reference_build(checkout, sops_keys, tmp_path)
    assert reference and all(o["kind"] == "Secret" for o in reference)
    files: dict[str, str | None] = {f"app/{rel}": content for rel, content in layout.items()}
    native = render(_app(git_server, files), sops=sops_keys.age_material()).manifests()
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(native, key=key) == sorted(reference, key=key)
    exec_mode = KeyMaterial([Key("age", "t", sops_keys.age_identity)], ksops_mode="exec")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "ksops").symlink_to(build.binary("ksops"))
    os.environ["PATH"] = f"{bindir}:{os.environ['PATH']}"
    try:
        via_plugin = render(
            _app(git_server, files),
            sops=exec_mode,
            kustomize_build_options="--enable-alpha-plugins --enable-exec",
        ).manifests()
    finally:
        os.environ["PATH"] = os.environ["PATH"].split(":", 1)[1]
    assert sorted(via_plugin, key=key) == sorted(reference, key=key)
