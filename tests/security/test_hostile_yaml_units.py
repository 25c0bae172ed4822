"""Hostile YAML and JSON as repository files hold them: alias bombs, deep nesting, cyclic
aliases, duplicate keys, thousands of documents. Each ends in an error naming the file and
line, or in the output Argo CD would produce, within a bounded CPU time and memory."""

from __future__ import annotations

import ast
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.appset.generators.git import _parse as appset_git_file
from argosy.appset.gotemplate.functions import _from_yaml as go_template_from_yaml
from argosy.engine import yamlbounds
from argosy.imageupdater.gitfiles import TargetError
from argosy.imageupdater.gitfiles import _load as image_updater_git_file
from argosy.repo import manifests
from argosy.repo.errors import InvalidSourceError, ManifestParseError
from argosy.repo.sops import goyaml
from argosy.repo.source import parse_source
from argosy.repo.sourcefiles import apply_source_files

SRC = Path(__file__).resolve().parents[2] / "src" / "argosy"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def alias_bomb(levels: int, fan: int = 10) -> str:
    """A ConfigMap whose ``data.x`` expands to ``fan ** levels`` strings (10⁸ for 8 levels)."""
    lines = ['  a0: &a0 "lol"']
    lines += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan)}]" for i in range(1, levels + 1)]
    return CM.format(name="bomb") + "x:\n" + "\n".join(lines) + "\n"


def nested(depth: int, flow: bool = True) -> str:
    body = "[" * depth + "]" * depth if flow else "".join("  " * i + "- \n" for i in range(depth))
    return CM.format(name="deep") + "data:\n  deep: " + body + "\n" if flow else body


def _cost(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result or exception, CPU seconds, peak RSS growth in MB) of ``fn``."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.process_time()
    try:
        out: Any = fn()
    except Exception as exc:  # the caller asserts on it
        out = exc
    cpu = time.process_time() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before.ru_maxrss) / 1024
    return out, cpu, grown


def test_a_billion_laughs_manifest_is_refused_fast_naming_file_and_line() -> None:
    text = "# a comment line\n---\n" + alias_bomb(8)  # 10⁸ nodes once expanded, 443 bytes
    out, cpu, grown = _cost(lambda: manifests.parse(text, "app/bomb.yaml"))
    assert isinstance(out, ManifestParseError), out
    assert str(out).startswith("app/bomb.yaml:3: document 0 refused: document contains excessive aliasing")
    assert "123,456,809 nodes once aliases are expanded" in str(out)
    assert out.file == "app/bomb.yaml" and out.line == 3
    assert cpu < 0.5 and grown < 50, (cpu, grown)
    print(
        f"alias bomb 10^8 nodes ({len(text)} bytes): refused in {cpu * 1000:.1f} ms CPU, +{grown:.0f} MB RSS"
    )


def test_moderate_aliasing_still_renders_like_argo_cd() -> None:
    text = CM.format(name="a") + "data:\n  base: &b hello\n  copy: *b\n" + "---\n" + alias_bomb(3)
    parsed = manifests.parse(text, "ok.yaml")
    assert parsed.documents[0].object["data"] == {"base": "hello", "copy": "hello"}
    assert len(parsed.documents[1].object["x"]["a3"]) == 10  # 1,000 strings: allowed by go-yaml too


def test_the_go_yaml_alias_ratio_is_the_rule() -> None:
    assert yamlbounds.allowed_alias_ratio(1000) == 0.99
    assert yamlbounds.allowed_alias_ratio(4_000_000) == pytest.approx(0.10)
    assert yamlbounds.allowed_alias_ratio(2_200_000) == pytest.approx(0.545)
    with pytest.raises(yamlbounds.YAMLLimitError, match="excessive aliasing"):
        yamlbounds.load(alias_bomb(4))  # 12,361 nodes, 99.7 % through aliases


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: {c: *a}}\n"])
def test_an_alias_to_its_own_ancestor_is_refused(text: str) -> None:
    with pytest.raises(ManifestParseError, match=r"^c\.yaml:1: document 0 refused: an alias refers to"):
        manifests.parse(text, "c.yaml")


def test_a_hundred_levels_of_nesting_render() -> None:
    parsed = manifests.parse(nested(100), "deep.yaml")
    value = parsed.documents[0].object["data"]["deep"]
    for _ in range(99):
        value = value[0]
    assert value == []


@pytest.mark.parametrize("depth", [250, 999, 10_000, 100_000])
def test_deep_nesting_is_an_error_not_a_recursion_crash(depth: int) -> None:
    out, cpu, _ = _cost(lambda: manifests.parse(nested(depth), "deep.yaml"))
    assert isinstance(out, ManifestParseError), out
    assert str(out).startswith("deep.yaml:6: ") and "nest" in str(out), out
    json_text = '{"apiVersion": "v1", "kind": "ConfigMap", "data": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(ManifestParseError, match=r"^deep\.json: refused: nested deeper than 200 levels"):
        manifests.parse(json_text, "deep.json", json_file=True)
    assert cpu < 1


@pytest.mark.parametrize("depth", [250, 10_000])
def test_sops_files_stop_at_the_depth_limit_too(depth: int) -> None:
    """SOPS' Go-typed loader was pure Python: RecursionError at ~1,000 levels, and a scanner
    quadratic in flow nesting (10,000 ``[`` cost 9 s of CPU before any limit could apply)."""
    out, cpu, _ = _cost(lambda: goyaml.load_all("a: " + "[" * depth + "]" * depth))
    assert isinstance(out, yaml.YAMLError) and "nest" in str(out), out
    assert cpu < 1


def test_the_pure_python_fallback_loader_stops_while_composing() -> None:
    with pytest.raises(yaml.YAMLError, match="nested deeper than 200 levels"):
        yamlbounds.load("a: " + "[" * 250 + "]" * 250, yamlbounds.SafeLoader)


def test_duplicate_keys_keep_the_last_value_with_a_warning_like_argo_cd() -> None:
    text = CM.format(name="dup") + "data:\n  k: first\n  k: second\n"
    parsed = manifests.parse(text, "app/dup.yaml")
    assert parsed.documents[0].object["data"] == {"k": "second"}
    assert parsed.warnings == ["app/dup.yaml:7: document 0 repeats the key 'k'; the last value is used"]


HOSTILE_LOADERS: dict[str, Callable[[str], Any]] = {
    "Chart.yaml / kustomization.yaml": lambda text: manifests.load_file(_write(text), "app/Chart.yaml"),
    "SOPS file (Go-typed)": goyaml.load_all,
    "ApplicationSet git generator file": appset_git_file,
    "image updater write-back file": lambda text: image_updater_git_file(text, ".argocd-source-x.yaml"),
    "fromYaml in a Go template": go_template_from_yaml,
}


def _write(text: str, name: str = "Chart.yaml") -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("loader", sorted(HOSTILE_LOADERS))
def test_every_loader_of_repository_yaml_refuses_the_bomb(loader: str) -> None:
    out, cpu, _ = _cost(lambda: HOSTILE_LOADERS[loader](alias_bomb(8)))
    refused = isinstance(out, ManifestParseError | TargetError | yaml.YAMLError) or (
        isinstance(out, dict) and "excessive aliasing" in str(out.get("Error"))  # fromYaml's error value
    )
    assert refused and "excessive aliasing" in str(out), f"{loader}: {out!r:.200}"
    assert cpu < 0.5


def test_argocd_source_override_files_refuse_the_bomb(tmp_path: Path) -> None:
    (tmp_path / ".argocd-source.yaml").write_text("helm:\n" + alias_bomb(8).split("x:\n", 1)[1])
    source = parse_source({"repoURL": "https://example.com/r.git", "path": "app"}, "source")
    with pytest.raises(
        InvalidSourceError, match=r"\.argocd-source\.yaml: not valid YAML: .*excessive aliasing"
    ):
        apply_source_files(source, tmp_path, "app", "argocd")


def test_no_module_reading_repository_content_bypasses_the_bounded_loader() -> None:
    """One implementation: ``yaml.safe_load`` on repository content would bring the bomb back."""
    offenders = []
    for package in ("repo", "appset", "imageupdater"):
        for path in (SRC / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "yaml"
                    and node.attr in ("safe_load", "safe_load_all", "load", "load_all", "full_load")
                ):
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno} yaml.{node.attr}")
    allowed = {"imageupdater/crd.py", "imageupdater/registries.py"}  # Argosy's own CRD; a ConfigMap
    assert [o for o in offenders if o.split(":")[0] not in allowed] == []
