"""Client-side apply by running the real ``kubectl apply -f -``.

Argo CD's default sync applies like ``kubectl apply``: a three-way strategic
merge between the last-applied configuration (annotation
``kubectl.kubernetes.io/last-applied-configuration``), the new manifest and
live. The exact merge rules (patch strategies and merge keys per field, CRDs
falling back to JSON merge) live in kubectl; running it gives users the
behaviour their manifests were written for. Objects are applied in one
``kubectl`` process per batch (fast), and only when that batch fails is each
object re-applied alone so every object gets its own result and message
(re-applying an already applied object changes nothing).

Credentials are handed to kubectl in a kubeconfig written to a private
temporary directory with mode 0600 and removed afterwards; for the in-cluster
destination outside a cluster, the user's kubeconfig and context are used as is.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from argosy.engine.keys import ResourceKey
from argosy.kube.apply import ObjectResult
from argosy.kube.clients import KubeClient, kubeconfig_dict
from argosy.kube.errors import ClusterUnreachable, KubeApiError, KubeError
from argosy.kube.objects import ARGOSY_FIELD_MANAGER

_UNREACHABLE = ("Unable to connect to the server", "connection refused", "i/o timeout", "no such host")
_SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@contextmanager
def kubectl_flags(client: KubeClient) -> Iterator[list[str]]:
    """``--kubeconfig``/``--context`` flags reaching the client's cluster (temp file removed on exit)."""
    cluster = client.cluster
    if cluster.kubeconfig is not None:
        flags = [f"--kubeconfig={cluster.kubeconfig}"]
        if cluster.context:
            flags.append(f"--context={cluster.context}")
        yield flags
        return
    if cluster.in_cluster:
        config: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "in",
                    "cluster": {"server": client.host, "certificate-authority": str(_SA_DIR / "ca.crt")},
                }
            ],
            "users": [{"name": "in", "user": {"tokenFile": str(_SA_DIR / "token")}}],
            "contexts": [{"name": "in", "context": {"cluster": "in", "user": "in"}}],
            "current-context": "in",
        }
    else:
        config = kubeconfig_dict(cluster)
    with tempfile.TemporaryDirectory(prefix="argosy-kubectl-") as tmp:
        path = Path(tmp) / "kubeconfig"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            yaml.safe_dump(config, fh)
        yield [f"--kubeconfig={path}"]


def _items(output: str) -> list[dict[str, Any]]:
    if not output.strip():
        return []
    doc = json.loads(output)
    if isinstance(doc, dict) and doc.get("kind") == "List":
        return [i for i in doc.get("items") or () if isinstance(i, dict)]
    return [doc] if isinstance(doc, dict) else []


def _error_message(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith("Warning:")]
    return "; ".join(lines)[:2000] or "kubectl apply failed without a message"


class KubectlApplier:
    """``kubectl apply`` against one cluster."""

    def __init__(
        self,
        client: KubeClient,
        *,
        kubectl: str = "kubectl",
        field_manager: str = ARGOSY_FIELD_MANAGER,
        timeout: float = 60.0,
    ) -> None:
        self.client = client
        self.kubectl = kubectl
        self.field_manager = field_manager
        self.timeout = timeout

    def _run(self, objects: Sequence[dict[str, Any]], args: list[str]) -> subprocess.CompletedProcess[str]:
        body = json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)})
        with kubectl_flags(self.client) as flags:
            argv = [
                self.kubectl,
                *flags,
                "apply",
                "-f",
                "-",
                "-o",
                "json",
                f"--field-manager={self.field_manager}",
                f"--request-timeout={int(self.timeout)}s",
                *args,
            ]
            try:
                proc = subprocess.run(
                    argv, input=body, capture_output=True, text=True, timeout=self.timeout * 2, check=False
                )
            except FileNotFoundError as exc:
                raise KubeError(
                    self.client.name, f"kubectl not found ({self.kubectl}); install kubectl"
                ) from exc
            except subprocess.TimeoutExpired as exc:
                raise KubeError(
                    self.client.name, f"kubectl apply timed out after {self.timeout * 2:.0f}s"
                ) from exc
        code = 200 if proc.returncode == 0 else 0
        self.client.record("apply", "kubectl", "", code, "--dry-run=server" in args)
        return proc

    def apply(
        self,
        objects: Sequence[dict[str, Any]],
        *,
        dry_run: bool = False,
        validate: bool = True,
        force: bool = False,
    ) -> list[ObjectResult]:
        """Apply every object; one result each, in order. ``dry_run`` asks the server
        (``--dry-run=server``); ``validate=False`` is ``Validate=false``; ``force`` lets
        kubectl delete and re-create objects whose update is refused (``Force=true``)."""
        if not objects:
            return []
        args = ["--dry-run=server"] if dry_run else []
        if not validate:
            args.append("--validate=false")
        if force:
            args.append("--force")
        keys = [ResourceKey.of(o) for o in objects]
        proc = self._run(objects, args)
        if proc.returncode == 0:
            by_key = {ResourceKey.of(i): i for i in _items(proc.stdout)}
            return [ObjectResult(k, by_key.get(k), message=f"{k} configured") for k in keys]
        if len(objects) == 1:
            message = _error_message(proc.stderr)
            error: KubeError
            if any(m in proc.stderr for m in _UNREACHABLE):
                error = ClusterUnreachable(self.client.name, message)
            else:
                error = KubeApiError(self.client.name, message, status=422, reason="Invalid", key=keys[0])
            return [ObjectResult(keys[0], error=error, message=str(error))]
        return [self.apply([o], dry_run=dry_run, validate=validate, force=force)[0] for o in objects]
