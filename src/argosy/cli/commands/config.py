"""The client configuration file, in the layout of ``argocd``'s ``~/.config/argocd/config``.

``argosy login`` writes a context (server + user token) and makes it current;
every later command reads it, so the server and token need not be repeated.
The file is YAML with ``contexts``, ``servers``, ``users`` and
``current-context``, as Argo CD's, so the same mental model (and scripts that
edit it) carry over. It holds session tokens, so it is written with mode 0600.

Where it lives: ``$ARGOSY_CONFIG`` when set (tests, several setups side by
side), else ``$XDG_CONFIG_HOME/argosy/config``, else ``~/.config/argosy/config``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CORE_SERVER = "kubernetes"


def config_path(explicit: str | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("ARGOSY_CONFIG")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "argosy" / "config"


@dataclass
class ServerEntry:
    """How to reach one server (or, with ``core``, one control-plane namespace)."""

    server: str
    insecure: bool = False
    plain_text: bool = False
    grpc_web: bool = False
    core: bool = False
    namespace: str = ""
    kubeconfig: str = ""
    kube_context: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"server": self.server}
        for key, value in (
            ("insecure", self.insecure),
            ("plain-text", self.plain_text),
            ("grpc-web", self.grpc_web),
            ("core", self.core),
            ("namespace", self.namespace),
            ("kubeconfig", self.kubeconfig),
            ("kube-context", self.kube_context),
        ):
            if value:
                out[key] = value
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ServerEntry:
        return cls(
            server=str(raw.get("server") or ""),
            insecure=bool(raw.get("insecure")),
            plain_text=bool(raw.get("plain-text")),
            grpc_web=bool(raw.get("grpc-web")),
            core=bool(raw.get("core")),
            namespace=str(raw.get("namespace") or ""),
            kubeconfig=str(raw.get("kubeconfig") or ""),
            kube_context=str(raw.get("kube-context") or ""),
        )


@dataclass
class ClientConfig:
    """The whole file; unknown keys are not kept (Argo CD's own file has none we lose)."""

    path: Path
    current_context: str = ""
    contexts: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (server, user)
    servers: dict[str, ServerEntry] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # name -> auth token
    #: name -> the SSO provider's refresh token (``refresh-token``, as Argo CD's file)
    refresh_tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ClientConfig:
        config = cls(path)
        if not path.exists():
            return config
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"cannot read the client config {path}: {exc} (fix or delete the file)") from exc
        if not isinstance(raw, dict):
            raise ValueError(f"the client config {path} is not a YAML mapping (fix or delete the file)")
        config.current_context = str(raw.get("current-context") or "")
        for c in raw.get("contexts") or []:
            if isinstance(c, dict) and c.get("name"):
                config.contexts[str(c["name"])] = (str(c.get("server") or ""), str(c.get("user") or ""))
        for s in raw.get("servers") or []:
            if isinstance(s, dict) and s.get("server"):
                entry = ServerEntry.from_dict(s)
                config.servers[entry.server] = entry
        for u in raw.get("users") or []:
            if isinstance(u, dict) and u.get("name"):
                config.users[str(u["name"])] = str(u.get("auth-token") or "")
                if u.get("refresh-token"):
                    config.refresh_tokens[str(u["name"])] = str(u["refresh-token"])
        return config

    def save(self) -> None:
        data = {
            "contexts": [{"name": n, "server": s, "user": u} for n, (s, u) in sorted(self.contexts.items())],
            "current-context": self.current_context,
            "servers": [e.to_dict() for _, e in sorted(self.servers.items())],
            "users": [
                {"name": n, "auth-token": t}
                | ({"refresh-token": self.refresh_tokens[n]} if self.refresh_tokens.get(n) else {})
                for n, t in sorted(self.users.items())
            ],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(data, fh, sort_keys=False)
        tmp.replace(self.path)

    def upsert(self, name: str, entry: ServerEntry, token: str, refresh_token: str = "") -> None:
        """Add or replace context ``name`` for ``entry`` (user named as the context) and make it current."""
        self.servers[entry.server] = entry
        self.users[name] = token
        self.refresh_tokens[name] = refresh_token
        self.contexts[name] = (entry.server, name)
        self.current_context = name

    def remove(self, name: str) -> None:
        server, user = self.contexts.pop(name, ("", ""))
        self.users.pop(user, None)
        self.refresh_tokens.pop(user, None)
        if server and all(s != server for s, _ in self.contexts.values()):
            self.servers.pop(server, None)
        if self.current_context == name:
            self.current_context = next(iter(sorted(self.contexts)), "")

    def resolve(self, name: str = "") -> tuple[ServerEntry, str] | None:
        """The server entry and token of context ``name`` (current when empty), or None."""
        ctx = self.contexts.get(name or self.current_context)
        if ctx is None:
            return None
        server, user = ctx
        entry = self.servers.get(server) or ServerEntry(server)
        return entry, self.users.get(user, "")
