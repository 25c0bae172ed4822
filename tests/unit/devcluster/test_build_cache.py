"""The binary cache: no half entries, clear errors naming the module and version."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from argosy.devcluster import build
from argosy.devcluster.paths import dev_dir


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARGOSY_CACHE_DIR", str(tmp_path))
    return tmp_path


BROKEN = build.Component(
    name="broken",
    version="v0.0.1",
    binaries=("nope",),
    packages=(("nope", "example.invalid/argosy/nope"),),
)


def test_missing_go_is_a_clear_error(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(cache))  # no go here
    with pytest.raises(build.BuildError, match="Go is not installed"):
        build.build(BROKEN)
    assert not (cache / "bin" / BROKEN.key).exists()


def test_failed_build_names_module_and_leaves_no_entry(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_go = cache / "go"
    fake_go.write_text(
        "#!/bin/sh\necho 'go: example.invalid/argosy/nope@v0.0.1: unrecognized import path' >&2\nexit 1\n"
    )
    fake_go.chmod(0o755)
    monkeypatch.setenv("PATH", f"{cache}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(build.BuildError) as info:
        build.build(BROKEN)
    assert "example.invalid/argosy/nope@v0.0.1" in str(info.value)
    leftovers = list((cache / "bin").iterdir())
    assert leftovers == [], f"half-written cache entries: {leftovers}"


def test_successful_build_is_renamed_into_place_and_reused(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = cache / "calls"
    fake_go = cache / "go"
    # A stand-in for `go install` that writes the binary into $GOBIN and counts its calls.
    fake_go.write_text(
        f'#!/bin/sh\necho x >> {calls}\nprintf "#!/bin/sh\\n" > "$GOBIN/nope"\nchmod +x "$GOBIN/nope"\n'
    )
    fake_go.chmod(0o755)
    monkeypatch.setenv("PATH", f"{cache}{os.pathsep}{os.environ['PATH']}")
    entry = build.build(BROKEN)
    assert (entry / "nope").is_file() and entry.name == "broken-v0.0.1"
    build.build(BROKEN)
    assert calls.read_text().count("x") == 1, "a cached entry was built again"
    found = build.ensure((BROKEN,))
    assert found["nope"] == entry / "nope"
    assert (cache / "path" / "nope").resolve() == (entry / "nope").resolve()


def test_a_wrapper_module_entry_is_one_go_build_for_all_its_binaries(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One invocation compiles shared packages once and uses every CPU; go names a binary after its
    package, or the element before a /vN suffix (etcd's server/v3 -> server): renamed as declared."""
    module = cache / "dev" / "wrap"
    module.mkdir(parents=True)
    (module / "go.mod").write_text("module example.invalid/wrap\n")
    (module / "go.sum").write_text("")
    monkeypatch.setattr(build, "dev_dir", lambda: cache / "dev")
    calls = cache / "calls"
    fake_go = cache / "go"
    # go build ... -o DIR/ pkg...: one file per package, named as the go command names it.
    fake_go.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {calls}\n'
        'while [ "$1" != "-o" ]; do shift; done; shift; dir="$1"; shift\n'
        'for p in "$@"; do n="${p##*/}"; case "$n" in v[0-9]*) p="${p%/*}"; n="${p##*/}";; esac; '
        'printf "#!/bin/sh\\n" > "$dir$n"; chmod +x "$dir$n"; done\n'
    )
    fake_go.chmod(0o755)
    monkeypatch.setenv("PATH", f"{cache}{os.pathsep}{os.environ['PATH']}")
    component = build.Component(
        name="pair",
        version="v1.0.0",
        binaries=("api", "etcd"),
        packages=(("api", "example.invalid/k/cmd/api"), ("etcd", "example.invalid/etcd/server/v3")),
        module_dir="wrap",
    )
    entry = build.build(component)
    assert (entry / "api").is_file() and (entry / "etcd").is_file()
    assert calls.read_text().count("build") == 1, calls.read_text()
    assert build.go_binary_name("go.etcd.io/etcd/server/v3") == "server"
    assert build.go_binary_name("k8s.io/kubernetes/cmd/kubelet") == "kubelet"


def test_argo_cd_is_built_only_for_the_benchmark_at_the_version_its_wrapper_module_pins() -> None:
    # The side-by-side benchmark's Argo CD must never slow a newcomer's setup, and the version the
    # benchmark prints must be the one dev/argocd/go.mod actually builds.
    assert build.ARGOCD not in build.ALL
    go_mod = (dev_dir() / "argocd" / "go.mod").read_text()
    assert f"require github.com/argoproj/argo-cd/v3 {build.ARGOCD_VERSION}\n" in go_mod
    assert "k8s.io/client-go =>" in go_mod  # Argo CD's own replace directives, copied
