"""Which repository URLs Argosy may fetch from: the guard against server-side request forgery.

A ``repoURL`` (or a Helm dependency, a remote value file, an OCI registry, an
ApplicationSet SCM API, an image registry) is text a tenant writes; the process
that fetches it sits inside the cluster network, next to the cloud metadata
service and to its own and its neighbours' loopback ports. So before any
network fetch, :meth:`UrlPolicy.check` resolves the host once and refuses it if
**any** address returned is

* a cloud metadata address (:data:`METADATA_ADDRESSES`) - always, no setting
  lifts this: no Git server lives there, only credentials;
* loopback, link-local or unspecified (:data:`DENIED_BY_DEFAULT`) - unless a
  network in ``reposerver.allowed.networks`` (argocd-cmd-params-cm; the
  process reads ``ARGOCD_REPO_SERVER_ALLOWED_NETWORKS``) contains it.

Private networks (RFC 1918, ULA) stay allowed: corporate Git servers live there.
Local repositories (``file://``, plain paths) are refused unless they lie under
a directory of ``reposerver.allowed.file.roots``
(``ARGOCD_REPO_SERVER_ALLOWED_FILE_ROOTS``). Unknown schemes and git's
``<transport>::<address>`` remote helpers are refused outright.

The check resolves the name, and the fetching tool resolves it again: a DNS
server that answers a public address first and a loopback one a second later
(DNS rebinding) is not stopped by this check alone (docs/repo-server.md).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from argosy.repo.errors import UrlNotAllowedError
from argosy.repo.redact import strip_userinfo

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], list[str]]

PARAM_NETWORKS = "reposerver.allowed.networks"
PARAM_FILE_ROOTS = "reposerver.allowed.file.roots"
ENV_NETWORKS = "ARGOCD_REPO_SERVER_ALLOWED_NETWORKS"
ENV_FILE_ROOTS = "ARGOCD_REPO_SERVER_ALLOWED_FILE_ROOTS"

#: Instance metadata / credential endpoints of the clouds (AWS EC2 and ECS/EKS pod identity,
#: GCP, Azure, Oracle, DigitalOcean at 169.254.169.254; Alibaba; Azure's wire server).
METADATA_ADDRESSES: frozenset[Address] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",
        "169.254.170.23",
        "fd00:ec2::254",
        "fd00:ec2::23",
        "100.100.100.200",
        "168.63.129.16",
    )
)

#: Refused unless a network of reposerver.allowed.networks contains the address.
DENIED_BY_DEFAULT: tuple[tuple[str, Network], ...] = tuple(
    (kind, ipaddress.ip_network(net))
    for kind, net in (
        ("loopback", "127.0.0.0/8"),
        ("loopback", "::1/128"),
        ("link-local", "169.254.0.0/16"),
        ("link-local", "fe80::/10"),
        ("unspecified", "0.0.0.0/8"),
        ("unspecified", "::/128"),
    )
)

NETWORK_SCHEMES = frozenset({"http", "https", "ssh", "git", "git+ssh", "ssh+git", "oci"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_REMOTE_HELPER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
_SCP = re.compile(r"^(?:[^@/]+@)?(\[[^\]/]+\]|[^:/]+):")
_HINT = f"{PARAM_NETWORKS} in argocd-cmd-params-cm ({ENV_NETWORKS} of the repo server)"


def system_resolver(host: str) -> list[str]:
    """Every address ``host`` resolves to (A and AAAA), as the fetching tool would see them."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


def parse_networks(text: str, setting: str = PARAM_NETWORKS) -> tuple[Network, ...]:
    """Comma- or space-separated CIDRs (``127.0.0.0/8, ::1``); a bare address is one host."""
    nets: list[Network] = []
    for item in re.split(r"[\s,]+", text.strip()):
        if not item:
            continue
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{setting}: {item!r} is not a CIDR such as 127.0.0.0/8 or ::1/128") from None
    return tuple(nets)


def parse_roots(text: str) -> tuple[Path, ...]:
    """Comma- or ``os.pathsep``-separated absolute directories."""
    roots: list[Path] = []
    for item in re.split(rf"[,{re.escape(os.pathsep)}]", text.strip()):
        item = item.strip()
        if not item:
            continue
        if not os.path.isabs(item):
            raise ValueError(f"{PARAM_FILE_ROOTS}: {item!r} is not an absolute directory")
        roots.append(Path(item).resolve())
    return tuple(roots)


def _literal_address(name: str) -> Address | None:
    """``name`` as an address if it is one, in any spelling the C library accepts
    (``2130706433``, ``0x7f.1`` and ``127.1`` are all 127.0.0.1 to git and curl)."""
    try:
        return ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-FxX.]+", name) and re.search(r"[0-9]", name):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    return None


def _unmapped(addr: Address) -> Address:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


@dataclass(frozen=True)
class UrlPolicy:
    """What a process may fetch; immutable, shared by every fetch of the process."""

    allowed_networks: tuple[Network, ...] = ()
    file_roots: tuple[Path, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False, repr=False)

    @classmethod
    def from_settings(cls, networks: str = "", file_roots: str = "") -> UrlPolicy:
        return cls(parse_networks(networks), parse_roots(file_roots))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> UrlPolicy:
        """The process's policy: ``ARGOCD_REPO_SERVER_ALLOWED_NETWORKS`` and ``..._FILE_ROOTS``."""
        env = os.environ if environ is None else environ
        try:
            return cls.from_settings(env.get(ENV_NETWORKS, ""), env.get(ENV_FILE_ROOTS, ""))
        except ValueError as exc:
            raise ValueError(f"{exc} (from the environment)") from None

    @classmethod
    def local_user(cls) -> UrlPolicy:
        """For a command a user runs on their own machine with their own rights (``argosy admin
        app render``): loopback and any local path are theirs to read; metadata stays refused."""
        return cls(tuple(net for _, net in DENIED_BY_DEFAULT), (Path("/"),))

    def refusal(self, addr: Address) -> str | None:
        """Why ``addr`` may not be fetched from, or None when it may."""
        addr = _unmapped(addr)
        if addr in METADATA_ADDRESSES:
            return f"{addr} is a cloud metadata address; Argosy never fetches from it (no setting allows it)"
        for kind, net in DENIED_BY_DEFAULT:
            if addr.version == net.version and addr in net:
                if any(addr.version == a.version and addr in a for a in self.allowed_networks):
                    return None
                return f"{addr} is a {kind} address ({net}); to allow it, add its network to {_HINT}"
        return None

    def check_host(self, host: str, what: str) -> None:
        """Refuse ``host`` if any of its addresses is refused; ``what`` names the URL for the error."""
        name = host.strip("[]")
        addrs: Iterable[str]
        literal = _literal_address(name)
        if literal is not None:
            addrs = [str(literal)]
        else:
            try:
                addrs = self.resolver(name)
            except (OSError, UnicodeError):
                return  # nothing to connect to: the fetch itself reports the host unreachable
        for text in (a.split("%", 1)[0] for a in addrs):  # fe80::1%eth0: the scope is no part of it
            reason = self.refusal(ipaddress.ip_address(text))
            if reason is not None:
                shown = f"host {name} resolves to {text}" if name != text else f"host {name}"
                raise UrlNotAllowedError(f"{what}: {shown}: {reason}")

    def check(self, url: str, what: str = "repository") -> None:
        """Refuse ``url`` before anything fetches it (see the module docstring for the rules)."""
        shown = f"{what} {strip_userinfo(url)!r}"
        if _REMOTE_HELPER.match(url):
            raise UrlNotAllowedError(f"{shown}: git remote helpers (<transport>::<address>) are not allowed")
        scheme = _SCHEME.match(url)
        if scheme is not None:
            kind = scheme.group(1).lower()
            if kind == "file":
                parts = urlsplit(url)
                if parts.netloc not in ("", "localhost"):
                    raise UrlNotAllowedError(f"{shown}: file:// URLs name no host (file:///path)")
                self.check_local(unquote(parts.path), shown)
                return
            if kind not in NETWORK_SCHEMES:
                raise UrlNotAllowedError(
                    f"{shown}: scheme {kind}:// is not allowed (use {', '.join(sorted(NETWORK_SCHEMES))})"
                )
            try:
                host = urlsplit(url).hostname or ""
            except ValueError as exc:
                raise UrlNotAllowedError(f"{shown}: {exc}") from None
            if not host:
                raise UrlNotAllowedError(f"{shown}: the URL names no host")
            self.check_host(host, shown)
            return
        scp = _SCP.match(url)
        if scp is not None and not (len(scp.group(1)) == 1 and url[2:3] in ("\\", "/")):
            self.check_host(scp.group(1), shown)
            return
        self.check_local(url, shown)

    def check_local(self, path: str, shown: str) -> None:
        """A repository on this machine's disk: only under one of ``file_roots``."""
        if not os.path.isabs(path):
            raise UrlNotAllowedError(f"{shown}: a local repository must be an absolute path (file:///path)")
        real = Path(path).resolve()
        if any(real == root or root in real.parents for root in self.file_roots):
            return
        raise UrlNotAllowedError(
            f"{shown}: local repositories are refused unless under a directory of {PARAM_FILE_ROOTS} "
            f"in argocd-cmd-params-cm ({ENV_FILE_ROOTS} of the repo server)"
        )

    def httpx_hook(self, what: str) -> Callable[[httpx.Request], None]:
        """An httpx ``request`` event hook: every request, redirects included, is checked."""

        def hook(request: httpx.Request) -> None:
            self.check(str(request.url), what)

        return hook
