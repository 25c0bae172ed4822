"""Tiny container images written straight into a registry through its HTTP API (no container engine).

Each image is built in the test from scratch: one layer (a gzipped tar holding
one file), an image config with a controlled ``created`` date and platform,
and an OCI manifest; several platforms make an OCI index. Blobs go up with the
monolithic upload (``POST /v2/<repo>/blobs/uploads/`` then ``PUT ?digest=``),
manifests with ``PUT /v2/<repo>/manifests/<tag>``: the same requests
``crane``/``docker push`` make.

    pusher = ImagePusher(registry.url, auth=("u", "p"), ca_pem=registry.ca_pem)
    pusher.push("team/app", "v1", created="2024-01-01T00:00:00Z")
    pusher.push_index("team/multi", "v2", ["linux/amd64", "linux/arm64"])
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import ssl
import tarfile
from typing import Any

import httpx

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layer(content: str) -> tuple[bytes, str]:
    """(gzipped tar, diff id) of a tar holding ``/tag.txt``; fixed mtimes so it is reproducible."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = content.encode()
        info = tarfile.TarInfo("tag.txt")
        info.size, info.mtime = len(data), 0
        tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), _digest(tar_bytes)


class ImagePusher:
    def __init__(self, base_url: str, auth: tuple[str, str] | None = None, ca_pem: str = "") -> None:
        self.base = base_url.rstrip("/")
        verify: Any = ssl.create_default_context(cadata=ca_pem) if ca_pem else True
        self.http = httpx.Client(auth=auth, verify=verify, timeout=30)
        self.requests = 0

    def close(self) -> None:
        self.http.close()

    def _blob(self, repo: str, data: bytes) -> str:
        digest = _digest(data)
        start = self.http.post(f"{self.base}/v2/{repo}/blobs/uploads/")
        start.raise_for_status()
        location = str(start.url.join(start.headers["location"]))
        sep = "&" if "?" in location else "?"
        put = self.http.put(
            f"{location}{sep}digest={digest}",
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        put.raise_for_status()
        return digest

    def _manifest(self, repo: str, reference: str, data: bytes, media_type: str) -> str:
        resp = self.http.put(
            f"{self.base}/v2/{repo}/manifests/{reference}", content=data, headers={"Content-Type": media_type}
        )
        resp.raise_for_status()
        return _digest(data)

    def _image(self, repo: str, tag: str, created: str, platform: str) -> bytes:
        """Upload the blobs of one image; returns its manifest (not yet pushed)."""
        os_, arch, *variant = platform.split("/")
        layer, diff_id = _layer(f"{repo}:{tag} {platform}")
        config: dict[str, Any] = {
            "created": created,
            "architecture": arch,
            "os": os_,
            "config": {"Cmd": ["/tag.txt"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
        if variant:
            config["variant"] = variant[0]
        config_bytes = json.dumps(config, sort_keys=True).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": OCI_CONFIG,
                "digest": self._blob(repo, config_bytes),
                "size": len(config_bytes),
            },
            "layers": [{"mediaType": OCI_LAYER, "digest": self._blob(repo, layer), "size": len(layer)}],
        }
        return json.dumps(manifest, sort_keys=True).encode()

    def push(
        self, repo: str, tag: str, created: str = "2024-01-01T00:00:00Z", platform: str = "linux/amd64"
    ) -> str:
        """Push a one-platform image as ``repo:tag``; returns the manifest digest."""
        return self._manifest(repo, tag, self._image(repo, tag, created, platform), OCI_MANIFEST)

    def push_index(
        self, repo: str, tag: str, platforms: list[str], created: str = "2024-01-01T00:00:00Z"
    ) -> str:
        """Push a multi-platform index as ``repo:tag``; returns the index digest."""
        entries = []
        for platform in platforms:
            data = self._image(repo, tag, created, platform)
            digest = self._manifest(repo, _digest(data), data, OCI_MANIFEST)
            os_, arch, *variant = platform.split("/")
            entry: dict[str, Any] = {
                "mediaType": OCI_MANIFEST,
                "digest": digest,
                "size": len(data),
                "platform": {"os": os_, "architecture": arch},
            }
            if variant:
                entry["platform"]["variant"] = variant[0]
            entries.append(entry)
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        return self._manifest(repo, tag, json.dumps(index, sort_keys=True).encode(), OCI_INDEX)
