"""The install bundles in ``manifests/``, rendered from the Helm chart ``charts/argosy``.

One source: the chart. The bundles are the chart rendered by the pinned ``helm``
with different values, as Argo CD ships ``install.yaml``, ``core-install.yaml``
and ``namespace-install.yaml``; namespace-scoped objects carry no namespace, so
``kubectl apply -n <ns>`` places them. The chart's ``crds/`` file is generated
too, from the CRDs the controller applies itself (:func:`bundled_crds`, with
the same manifest-hash annotation, so a controller finding them installed does
not re-apply them).

The generated files are committed (users apply them from a checkout);
``python -m argosy.devcluster.manifests`` rewrites them and ``--check`` says
which are stale.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from argosy.controller.bootstrap import bundled_crds, with_manifest_hash
from argosy.devcluster import build
from argosy.devcluster.paths import dev_dir

CHART = Path("charts/argosy")
CRDS_FILE = CHART / "crds" / "crds.yaml"
RELEASE = "argosy"
#: Where the bundles' ClusterRoleBindings point (their subjects need a namespace), as Argo CD's.
NAMESPACE = "argocd"
REGENERATE = "python -m argosy.devcluster.manifests"
HEADER = f"# Generated from {CHART} by `{REGENERATE}`: edit the chart, not this file.\n"


@dataclass(frozen=True)
class Bundle:
    """One file of ``manifests/`` and the chart values that make it."""

    path: Path
    values: tuple[str, ...]


BUNDLES = (
    Bundle(Path("manifests/install.yaml"), ()),
    # For `argosy login --core`: no API server or UI, and only what syncing needs.
    Bundle(
        Path("manifests/core-install.yaml"),
        ("server.enabled=false", "applicationSet.enabled=false", "imageUpdater.enabled=false"),
    ),
    # No cluster-wide RBAC: the controller manages the namespace it runs in.
    Bundle(Path("manifests/namespace-install.yaml"), ("rbac.scope=namespace",)),
)


def checkout_root() -> Path:
    """The checkout holding ``charts/`` and ``manifests/`` (beside ``dev/``)."""
    return dev_dir().parent


def crds_yaml() -> str:
    """The chart's ``crds/`` file: every CRD, annotated with its manifest hash."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: ~10x faster for the 0.5 MB
    crds = [with_manifest_hash(crd) for crd in bundled_crds()]
    return HEADER + yaml.dump_all(crds, Dumper=dumper, sort_keys=False, width=120)


def helm_template(
    chart: Path, values: tuple[str, ...], *, namespace: str = NAMESPACE, include_crds: bool = True
) -> str:
    """``helm template`` of ``chart`` with ``--set`` values, by the pinned helm."""
    cmd = [str(build.binary("helm")), "template", RELEASE, str(chart), "--namespace", namespace]
    cmd += ["--include-crds"] if include_crds else []
    for value in values:
        cmd += ["--set", value]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"helm template {chart} {' '.join(values)} failed: {proc.stderr.strip()}")
    return proc.stdout


def generate(root: Path) -> dict[Path, str]:
    """Every generated file (relative to ``root``) and its fresh content; writes nothing in ``root``."""
    out = {CRDS_FILE: crds_yaml()}
    with tempfile.TemporaryDirectory(prefix="argosy-chart-") as tmp:
        chart = Path(tmp) / CHART.name
        shutil.copytree(root / CHART, chart, ignore=shutil.ignore_patterns("crds"))
        (chart / "crds").mkdir()
        (chart / "crds" / CRDS_FILE.name).write_text(out[CRDS_FILE], encoding="utf-8")
        for bundle in BUNDLES:
            out[bundle.path] = HEADER + helm_template(chart, bundle.values)
    return out


def stale(root: Path) -> list[Path]:
    """The generated files whose committed content differs from a fresh generation."""
    return [
        path
        for path, text in generate(root).items()
        if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != text
    ]


def write(root: Path) -> list[Path]:
    """Regenerate every file; returns those written."""
    written = []
    for path, text in generate(root).items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    root = checkout_root()
    if argv == ["--check"]:
        old = stale(root)
        for path in old:
            print(f"{path} differs from the chart: run `{REGENERATE}`", file=sys.stderr)
        return 1 if old else 0
    if argv:
        print(f"usage: {REGENERATE} [--check]", file=sys.stderr)
        return 2
    for path in write(root):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
