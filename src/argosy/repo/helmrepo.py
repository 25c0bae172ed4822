"""Charts from Helm repositories (``index.yaml``) for sources with ``chart:``.

``targetRevision`` is an exact chart version or a semver constraint
(``1.2.*``, ``>=1.0 <2``); the highest matching version in the index wins, and
that version is the source's resolved revision. Archives are downloaded once
per (repository, chart, version, digest) and unpacked into a private cache
(entries that are links or leave the chart directory are refused, see :func:`unpack`);
credentials go only to the repository's own host unless ``passCredentials``.
Every request, redirects included, passes the process's URL policy first.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import shutil
import tarfile
import tempfile
import threading
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import yaml

from argosy.engine import yamlbounds
from argosy.repo.credentials import http_auth
from argosy.repo.errors import HelmRepoError, RepoError, RevisionNotFoundError, UnreachableError
from argosy.repo.redact import redact, strip_userinfo
from argosy.repo.semverrange import best_match, is_constraint, parse_version
from argosy.repo.urlpolicy import UrlPolicy
from argosy.settings.repositories import Repository, RepositoryStore

MAX_INDEX_BYTES = 64 * 1024 * 1024
MAX_CHART_BYTES = 64 * 1024 * 1024
MAX_EXTRACTED_BYTES = 1024 * 1024 * 1024


class HelmRepos:
    """Resolves chart versions and keeps unpacked charts under ``root``."""

    def __init__(self, root: Path, timeout: float = 90.0, policy: UrlPolicy | None = None) -> None:
        self.root = root
        self.policy = policy if policy is not None else UrlPolicy.from_env()
        self.timeout = timeout
        self.index_fetches = 0
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _get(self, repo: Repository, store: RepositoryStore, url: str, cap: int, creds: bool = True) -> bytes:
        shown = strip_userinfo(url)
        with http_auth(repo, store) as auth:
            try:
                with (
                    httpx.Client(
                        verify=auth.verify,
                        cert=auth.cert,
                        timeout=self.timeout,
                        event_hooks={"request": [self.policy.httpx_hook("Helm repository")]},
                    ) as client,
                    client.stream(
                        "GET", url, auth=auth.auth if creds else None, follow_redirects=True
                    ) as resp,
                ):
                    if resp.status_code in (401, 403):
                        raise HelmRepoError(
                            f"GET {shown}: {resp.status_code} (check the repository credentials)"
                        )
                    if resp.status_code == 404:
                        raise HelmRepoError(f"GET {shown}: 404 not found")
                    if resp.status_code >= 400:
                        raise HelmRepoError(f"GET {shown}: HTTP {resp.status_code}")
                    buf = io.BytesIO()
                    for block in resp.iter_bytes():
                        buf.write(block)
                        if buf.tell() > cap:
                            raise HelmRepoError(f"GET {shown}: larger than {cap} bytes")
                    return buf.getvalue()
            except httpx.HTTPError as exc:
                raise UnreachableError(redact(f"GET {shown}: {exc}", auth.secrets)) from None

    def index(self, repo: Repository, store: RepositoryStore) -> dict[str, Any]:
        self.index_fetches += 1
        url = repo.url.rstrip("/") + "/index.yaml"
        raw = self._get(repo, store, url, MAX_INDEX_BYTES)
        try:
            data = yamlbounds.load(raw)
        except yaml.YAMLError as exc:
            raise HelmRepoError(f"{strip_userinfo(url)}: invalid index.yaml: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
            raise HelmRepoError(f"{strip_userinfo(url)}: index.yaml has no entries")
        return data

    def resolve(self, repo: Repository, store: RepositoryStore, chart: str, revision: str) -> dict[str, Any]:
        """The index entry of the chart version ``revision`` selects.

        Every error names the chart, the version asked for and the repository, so an
        Application condition or the Parameters tab says which chart could not be had."""
        shown = strip_userinfo(repo.url)
        try:
            index = self.index(repo, store)
        except RepoError as exc:
            exc.args = (f"chart {chart!r} version {revision!r} from {shown}: {exc}",)
            raise
        entries = index["entries"].get(chart)
        if not entries:
            raise RevisionNotFoundError(
                f"chart {chart!r} (version {revision!r}) not found in {shown}: "
                "its index.yaml has no such chart"
            )
        versions = {str(e.get("version")): e for e in entries if isinstance(e, dict)}
        wanted = revision.strip()
        if wanted in versions:
            return versions[wanted]
        if wanted.removeprefix("v") in versions:
            return versions[wanted.removeprefix("v")]
        constraint = wanted if wanted and wanted not in ("*", "latest") else ">=0.0.0"
        if wanted and not is_constraint(constraint) and parse_version(constraint) is None:
            raise RevisionNotFoundError(
                f"chart {chart!r} from {shown}: {revision!r} is neither a version nor a semver range"
            )
        best = best_match(constraint, list(versions))
        if best is None:
            raise RevisionNotFoundError(
                f"chart {chart!r}: no version matches {revision!r} in {shown} "
                f"(available: {', '.join(sorted(versions)[:20])})"
            )
        return versions[best]

    def chart_dir(
        self,
        repo: Repository,
        store: RepositoryStore,
        chart: str,
        entry: dict[str, Any],
        pass_credentials: bool = False,
    ) -> Path:
        """Download (once) and unpack the chart of ``entry``; returns the chart directory."""
        version = str(entry.get("version"))
        urls = entry.get("urls") or []
        if not urls:
            raise HelmRepoError(f"chart {chart!r} {version}: index entry has no urls")
        url = urljoin(repo.url.rstrip("/") + "/", str(urls[0]))
        key = hashlib.sha256(f"{repo.url}|{chart}|{version}|{entry.get('digest', '')}".encode()).hexdigest()[
            :24
        ]
        target = self.root / key
        with self._lock(key):
            if (target / chart / "Chart.yaml").is_file():
                return target / chart
            same_host = urlsplit(url).netloc == urlsplit(repo.url).netloc
            try:
                data = self._get(repo, store, url, MAX_CHART_BYTES, creds=same_host or pass_credentials)
            except RepoError as exc:
                exc.args = (f"chart {chart!r} version {version} from {strip_userinfo(repo.url)}: {exc}",)
                raise
            digest = entry.get("digest")
            if digest and hashlib.sha256(data).hexdigest() != digest:
                raise HelmRepoError(f"chart {chart!r} {version}: digest mismatch for {strip_userinfo(url)}")
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=".unpack-"))
            try:
                unpack(data, tmp, f"{chart}-{version}.tgz")
                if not (tmp / chart / "Chart.yaml").is_file():
                    raise HelmRepoError(f"chart archive {strip_userinfo(url)} has no {chart}/Chart.yaml")
                shutil.rmtree(target, ignore_errors=True)
                tmp.rename(target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        return target / chart


def unpack(data: bytes, dest: Path, name: str) -> None:
    """Extract a chart archive after checking every member, as Argo CD's ``Untgz`` does.

    A member with an absolute name or a ``..`` component, a link whose target
    is absolute or outside the archive, a device or a FIFO is refused with an
    error naming it (Argo CD: "illegal filepath in archive"); links that stay
    inside the archive are kept, as Argo CD keeps them, and the copied chart
    is checked again for out-of-bounds symlinks. Nothing is written before the
    whole archive has passed, so a refused chart leaves no file behind; the ``data`` extraction
    filter stays as a second guard. The unpacked size is capped at
    :data:`MAX_EXTRACTED_BYTES` while reading, so a gzip bomb costs at most that
    much decompression.
    """
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members: list[tarfile.TarInfo] = []
            total = 0
            for member in tar:  # headers are checked as the stream is read: a bomb stops early
                _check_member(member, name)
                total += member.size
                if total > MAX_EXTRACTED_BYTES:
                    raise HelmRepoError(
                        f"{name}: chart archive unpacks to more than {MAX_EXTRACTED_BYTES} bytes "
                        "(Argo CD's helm.manifestMaxExtractedSize default); refused"
                    )
                members.append(member)
            tar.extractall(dest, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise HelmRepoError(f"{name}: cannot unpack chart archive: {exc}") from None


def _check_member(member: tarfile.TarInfo, archive: str) -> None:
    entry = member.name.replace("\\", "/")
    if _escapes(entry):
        raise HelmRepoError(
            f"{archive}: chart archive entry {member.name!r} is an absolute path or climbs out with '..'; "
            "refused"
        )
    if member.issym() or member.islnk():
        link = member.linkname.replace("\\", "/")
        target = posixpath.join(posixpath.dirname(entry), link) if member.issym() else link
        if link.startswith("/") or _escapes(posixpath.normpath(target)):
            raise HelmRepoError(
                f"{archive}: chart archive entry {member.name!r} links to {member.linkname!r}, "
                "outside the archive; refused"
            )
    elif not (member.isfile() or member.isdir()):
        raise HelmRepoError(f"{archive}: chart archive entry {member.name!r} is not a file or directory")


def _escapes(path: str) -> bool:
    return path.startswith("/") or bool(re.match(r"^[A-Za-z]:", path)) or ".." in path.split("/")
