"""Build and cache the binaries of the local control plane and tools.

Every binary is built with the machine's Go from the Go module proxy, at a
pinned version, into ``<cache>/bin/<name>-<version>/``. A build goes to a
temporary directory that is renamed into place only when every binary of the
entry was produced, so an interrupted or failed build never leaves a half
entry; a second run finds the entry and builds nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from argosy.devcluster.paths import cache_dir, dev_dir, tools_path_dir

KUBERNETES_VERSION = "v1.36.3"
ETCD_VERSION = "v3.6.8"  # the etcd that k8s.io/kubernetes v1.36.3 requires (see dev/k8s/go.mod)


class BuildError(RuntimeError):
    """A component could not be built; the message names module and version."""


@dataclass(frozen=True)
class Component:
    """One cache entry: a set of binaries built together at one version."""

    name: str
    version: str
    binaries: tuple[str, ...]
    # (binary, package) pairs built with ``go install package@version``, or from
    # the wrapper module in ``module_dir`` with ``go build``.
    packages: tuple[tuple[str, str], ...]
    module_dir: str | None = None
    ldflags: tuple[str, ...] = field(default=())
    # Files of the published module to concatenate into one asset of the entry:
    # (asset name, module, paths inside the module).
    assets: tuple[tuple[str, str, tuple[str, ...]], ...] = field(default=())

    @property
    def key(self) -> str:
        """Cache key: the version, plus the wrapper module's content when there is one."""
        if self.module_dir is None:
            return f"{self.name}-{self.version}"
        digest = hashlib.sha256()
        for fname in ("go.mod", "go.sum"):
            digest.update((dev_dir() / self.module_dir / fname).read_bytes())
        return f"{self.name}-{self.version}-{digest.hexdigest()[:10]}"


def _k8s_ldflags() -> tuple[str, ...]:
    # Without the version stamp /version reports v0.0.0-master, which breaks
    # Helm's kubeVersion constraints and anything that parses the server version.
    minor = KUBERNETES_VERSION.split(".")[1]
    flags = []
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [
            f"-X {pkg}.gitVersion={KUBERNETES_VERSION}",
            f"-X {pkg}.gitMajor=1",
            f"-X {pkg}.gitMinor={minor}",
            f"-X {pkg}.gitTreeState=clean",
            f"-X {pkg}.buildDate=1970-01-01T00:00:00Z",
        ]
    return tuple(flags)


KUBERNETES = Component(
    name="kubernetes",
    version=KUBERNETES_VERSION,
    binaries=("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"),
    packages=(
        ("kube-apiserver", "k8s.io/kubernetes/cmd/kube-apiserver"),
        ("kube-controller-manager", "k8s.io/kubernetes/cmd/kube-controller-manager"),
        ("kube-scheduler", "k8s.io/kubernetes/cmd/kube-scheduler"),
        ("etcd", "go.etcd.io/etcd/server/v3"),
    ),
    module_dir="k8s",
    ldflags=_k8s_ldflags(),
)
# A real node's agents, from the same wrapper module (same pins) as the control plane; a separate
# entry so clusters without real nodes never pay for them, while the Go build cache it shares
# with KUBERNETES makes the build mostly a link step.
KUBERNETES_NODE = Component(
    name="kubernetes-node",
    version=KUBERNETES_VERSION,
    binaries=("kubelet", "kube-proxy"),
    packages=(
        ("kubelet", "k8s.io/kubernetes/cmd/kubelet"),
        ("kube-proxy", "k8s.io/kubernetes/cmd/kube-proxy"),
    ),
    module_dir="k8s",
    ldflags=_k8s_ldflags(),
)
# The cluster DNS of real nodes: CoreDNS with its kubernetes plugin, as in every cluster, built
# from dev/coredns with only the plugins the nodes' Corefile uses (realnode.corefile): CoreDNS's
# own main compiles every plugin, cloud SDKs included (cold build 168 s here, 77 MB; this one
# 98 s, 52 MB). A Corefile naming another plugin needs it added to dev/coredns/main.go.
COREDNS = Component("coredns", "v1.14.7", ("coredns",), (("coredns", "."),), module_dir="coredns")
KWOK = Component(
    "kwok",
    "v0.8.0",
    ("kwok", "stages.yaml"),
    (("kwok", "sigs.k8s.io/kwok/cmd/kwok"),),
    # The kwok binary ships no default behaviour: these are its published "fast" stages
    # (nodes turn Ready and keep a lease; pods turn Running/Ready, complete, and go away
    # on deletion), read from the module the proxy serves, never committed here.
    assets=(
        (
            "stages.yaml",
            "sigs.k8s.io/kwok",
            (
                "kustomize/stage/node/fast/node-initialize.yaml",
                "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
                "kustomize/stage/pod/fast/pod-ready.yaml",
                "kustomize/stage/pod/fast/pod-complete.yaml",
                "kustomize/stage/pod/fast/pod-delete.yaml",
            ),
        ),
    ),
)
HELM = Component(
    "helm",
    "v3.22.0",
    ("helm",),
    (("helm", "helm.sh/helm/v3/cmd/helm"),),
    ldflags=("-X helm.sh/helm/v3/internal/version.version=v3.22.0",),
)
KUSTOMIZE = Component(
    "kustomize", "v5.8.2", ("kustomize",), (("kustomize", "sigs.k8s.io/kustomize/kustomize/v5"),)
)
SOPS = Component("sops", "v3.13.3", ("sops",), (("sops", "github.com/getsops/sops/v3/cmd/sops"),))
# A reference KSOPS plugin for the SOPS equivalence tests and benchmark: the proxy does not serve
# github.com/viaduct-ai/kustomize-sops, so dev/ksops rebuilds its behaviour on sops's own library.
KSOPS = Component("ksops", SOPS.version, ("ksops",), (("ksops", "."),), module_dir="ksops")

# The OpenID Connect provider the SSO tests log in through: zitadel/oidc's example provider
# (an OpenID-certified library) with a "groups" claim, built from dev/oidc-provider. Dex cannot
# be built from the proxy with "go install" (its go.mod has replace directives and its v2 tags
# have no /v2 module path), and a container or JVM provider is heavier than this 16 MB binary.
OIDC_PROVIDER = Component(
    "oidc-provider", "v3.52.0", ("oidc-provider",), (("oidc-provider", "."),), module_dir="oidc-provider"
)

# Writes and pushes the local clusters' OCI image archives (argosy.devcluster.images): no
# container engine or registry is reachable here, and crane needs neither.
CRANE = Component(
    "crane", "v0.22.1", ("crane",), (("crane", "github.com/google/go-containerregistry/cmd/crane"),)
)

# Argo CD's own controller and repo server (one multi-call binary), for the side-by-side fleet
# benchmark only (bench/bench_fleet.py --argocd): not in ALL, so setup never builds it. From
# dev/argocd, whose go.mod carries Argo CD's replace directives (see its header).
ARGOCD_VERSION = "v3.2.11"
ARGOCD = Component(
    "argocd",
    ARGOCD_VERSION,
    ("argocd",),
    (("argocd", "github.com/argoproj/argo-cd/v3/cmd"),),
    module_dir="argocd",
    ldflags=(
        f"-X github.com/argoproj/argo-cd/v3/common.version={ARGOCD_VERSION.lstrip('v')}",
        "-X github.com/argoproj/argo-cd/v3/common.gitTreeState=clean",
    ),
)

CONTROL_PLANE = (KUBERNETES, KWOK)
NODE = (KUBERNETES_NODE, COREDNS)
TOOLS = (HELM, KUSTOMIZE, SOPS, KSOPS, OIDC_PROVIDER, CRANE)
ALL = CONTROL_PLANE + NODE + TOOLS

Progress = Callable[[str], None]


def entry_dir(component: Component) -> Path:
    return cache_dir() / "bin" / component.key


def is_cached(component: Component) -> bool:
    entry = entry_dir(component)
    return all((entry / b).is_file() for b in component.binaries)


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        raise BuildError(
            "Go is not installed or not on PATH: the local control plane and tools are built from "
            "Go modules. Install Go >= 1.26 (apt-get install golang, or the image's Go) and retry."
        )
    return go


def _run_go(args: list[str], cwd: Path | None, env: dict[str, str], what: str) -> None:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-25:])
        raise BuildError(f"building {what} failed (go exit {proc.returncode}):\n{tail}")


def _write_asset(go: str, env: dict[str, str], dest: Path, module: str, paths: tuple[str, ...]) -> None:
    proc = subprocess.run(
        [go, "mod", "download", "-json", module], env=env, capture_output=True, text=True, check=False
    )
    try:
        source = Path(json.loads(proc.stdout)["Dir"])
    except (ValueError, KeyError) as exc:
        raise BuildError(f"downloading {module} failed: {(proc.stderr or proc.stdout).strip()}") from exc
    parts = []
    for rel in paths:
        try:
            parts.append((source / rel).read_text().strip())
        except OSError as exc:
            raise BuildError(f"{module} has no {rel}: {exc}") from exc
    dest.write_text("\n---\n".join(parts) + "\n")


def go_binary_name(package: str) -> str:
    """The file ``go build -o DIR/`` writes for a main package: its last path element, or the
    one before a major-version suffix (``go.etcd.io/etcd/server/v3`` -> ``server``)."""
    parts = [p for p in package.split("/") if p not in ("", ".")]
    if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
        parts = parts[:-1]
    return parts[-1] if parts else ""


def build(component: Component, progress: Progress | None = None) -> Path:
    """Return the cache entry of ``component``, building it first if needed."""
    entry = entry_dir(component)
    if is_cached(component):
        return entry
    go = _go()
    say = progress or (lambda _msg: None)
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{component.key}.", dir=entry.parent))
    env = dict(os.environ)
    env.setdefault("GOFLAGS", "")
    env["GOFLAGS"] = (env["GOFLAGS"] + " -buildvcs=false").strip()
    env.setdefault("GOTOOLCHAIN", "local")
    env["CGO_ENABLED"] = env.get("CGO_ENABLED", "0")
    ldflags = " ".join(("-s", "-w", *component.ldflags))
    started = time.monotonic()
    try:
        if component.module_dir is None:
            for binary, package in component.packages:
                what = f"{package}@{component.version}"
                say(f"building {binary} ({what})")
                env_install = dict(env, GOBIN=str(tmp))
                _run_go([go, "install", "-trimpath", f"-ldflags={ldflags}", what], None, env_install, what)
        else:
            # One `go build` for every binary of the entry: the go command compiles the packages
            # they share once and schedules all compiles across the CPUs, instead of one binary's
            # link step at a time (the cold build of the control plane is the newcomer's wait).
            cwd = dev_dir() / component.module_dir
            packages = [package for _, package in component.packages]
            say(f"building {', '.join(b for b, _ in component.packages)} (wrapper module {cwd / 'go.mod'})")
            single = component.packages[0][0] if len(packages) == 1 else ""
            out = str(tmp / single) if single else f"{tmp}{os.sep}"  # one binary: name it exactly
            _run_go(
                [go, "build", "-trimpath", f"-ldflags={ldflags}", "-o", out, *packages],
                cwd,
                env,
                f"{', '.join(packages)} (wrapper module {cwd / 'go.mod'})",
            )
            for binary, package in component.packages:
                produced = tmp / go_binary_name(package)
                if produced != tmp / binary and produced.is_file():
                    produced.rename(tmp / binary)
        for binary, package in component.packages:
            if not (tmp / binary).is_file():
                raise BuildError(f"building {package} produced no {binary} binary")
        for asset, module, paths in component.assets:
            _write_asset(go, env, tmp / asset, f"{module}@{component.version}", paths)
        (tmp / "BUILD_SECONDS").write_text(f"{time.monotonic() - started:.0f}\n")
        if is_cached(component):  # a concurrent build won the race; keep its entry
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            shutil.rmtree(entry, ignore_errors=True)  # an incomplete entry of an older layout
            tmp.rename(entry)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    say(f"built {component.key} in {time.monotonic() - started:.0f}s")
    return entry


def ensure(components: tuple[Component, ...] = ALL, progress: Progress | None = None) -> dict[str, Path]:
    """Build what is missing and return ``{binary: path}`` for every binary of ``components``.

    The binaries are also linked into ``<cache>/path`` so scripts can put one
    folder on PATH and get exactly the pinned versions.
    """
    found: dict[str, Path] = {}
    for component in components:
        entry = build(component, progress)
        for binary in component.binaries:
            found[binary] = entry / binary
    link_dir = tools_path_dir()
    link_dir.mkdir(parents=True, exist_ok=True)
    for binary, path in found.items():
        link = link_dir / binary
        if link.is_symlink() or link.exists():
            if link.resolve() == path.resolve():
                continue
            link.unlink()
        link.symlink_to(path)
    return found


def binary(name: str) -> Path:
    """Path of a pinned binary, which must have been built by :func:`ensure`."""
    for component in ALL:
        if name in component.binaries:
            path = entry_dir(component) / name
            if not path.is_file():
                raise BuildError(f"{name} {component.version} is not built yet: run `argosy dev build`")
            return path
    raise KeyError(name)
