"""Does an Application's ``repoURL`` point at the repository a webhook reports?

Providers report a web URL (``https://github.com/org/repo``); Applications
use whatever URL they clone with (``git@github.com:org/repo.git``,
``ssh://git@ssh.github.com:443/org/repo``, ``https://user@github.com/org/repo``).
As Argo CD does, the web URL becomes a regular expression: host and path are
escaped (a ``.`` is a dot), case is ignored, and the scheme (http, https,
ssh), a ``user@``, a port, an ``ssh.``/``altssh.`` host prefix, scp-style
``host:path`` and a ``.git`` suffix may differ. Other subdomains, other
paths and user names starting with ``-`` do not match. API URLs (for
providers that report only the server) never match ``ssh://`` URLs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

# RFC 3986 user names as shadow-utils allows them (Argo CD's usernameRegex).
_USERNAME = r"[\w\.][\w\.-]{0,30}[\w\.\$-]?"
_WEB_FORMAT = r"^((https?|ssh)://)?({user}@)?((alt)?ssh\.)?{host}(:\d+)?[:/]{path}(\.git)?\Z"
_API_FORMAT = r"^(https?://)?({user}@)?{host}(:\d+)?/?\Z"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PATH_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*")
_USERINFO_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:%]*")


class URLError(ValueError):
    """A URL that cannot be turned into a matcher (same inputs Go's ``url.Parse`` rejects)."""


@dataclass(frozen=True)
class ParsedURL:
    scheme: str
    hostname: str
    escaped_path: str


def parse_url(raw: str) -> ParsedURL:
    """Split a URL into scheme, host name and escaped path, rejecting what Go's ``url.Parse`` rejects.

    Argo CD builds its matcher from Go's parse; refusing the same inputs
    (bad ``%`` escapes, control characters, a colon in a scheme-less first
    segment, a non-numeric port) keeps matching decisions identical.
    """
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise URLError(f"invalid control character in URL {raw!r}")
    if raw.startswith(":"):
        raise URLError(f"missing protocol scheme in URL {raw!r}")
    rest = raw.split("#", 1)[0]
    match = _SCHEME.match(rest)
    scheme = match.group(1).lower() if match else ""
    if match:
        rest = rest[match.end() :]
    rest = rest.split("?", 1)[0]
    if scheme and not rest.startswith("/"):
        return ParsedURL(scheme, "", "")  # opaque URL (mailto:…): no host, no path
    if not scheme and ":" in rest.split("/", 1)[0]:
        raise URLError(
            f"first path segment in URL {raw!r} cannot contain a colon (add a scheme such as https://)"
        )
    host = ""
    path = rest
    if rest.startswith("//"):
        authority, slash, remainder = rest[2:].partition("/")
        path = slash + remainder
        userinfo, at, hostport = authority.rpartition("@")
        if at and not _USERINFO_CHARS.fullmatch(userinfo):
            raise URLError(f"invalid user info in URL {raw!r}")
        host = _hostname(hostport, raw)
    if _BAD_ESCAPE.search(path):
        raise URLError(f"invalid URL escape in {raw!r}")
    escaped = path if _PATH_CHARS.fullmatch(path) else quote(unquote(path), safe="/!$&'()*+,;=:@-._~")
    return ParsedURL(scheme, host, escaped)


def _hostname(hostport: str, raw: str) -> str:
    if _BAD_ESCAPE.search(hostport):
        raise URLError(f"invalid URL escape in host of {raw!r}")
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise URLError(f"missing ']' in host of {raw!r}")
        host, port = hostport[1:end], hostport[end + 1 :]
        if port and not re.fullmatch(r":\d*", port):
            raise URLError(f"invalid port {port!r} in URL {raw!r}")
        return unquote(host)
    host, colon, port = hostport.rpartition(":")
    if not colon:
        return unquote(hostport)
    if not re.fullmatch(r"\d*", port):
        raise URLError(f"invalid port {':' + port!r} in URL {raw!r}")
    return unquote(host)


def _compile(url: str, fmt: str) -> re.Pattern[str]:
    parsed = parse_url(url)
    pattern = fmt.format(
        user=_USERNAME,
        host=re.escape(parsed.hostname),
        path=re.escape(parsed.escaped_path.removeprefix("/")),
    )
    return re.compile(pattern, re.IGNORECASE | re.ASCII)


def web_url_regex(web_url: str) -> re.Pattern[str]:
    """A matcher for every repoURL naming the same repository as ``web_url``; raises URLError."""
    return _compile(web_url, _WEB_FORMAT)


def api_url_regex(api_url: str) -> re.Pattern[str]:
    """A matcher for every URL naming the same server as ``api_url`` (http/https only); raises URLError."""
    return _compile(api_url, _API_FORMAT)


def repo_matches(web_url: str, repo_url: str) -> bool:
    """True when ``repo_url`` names the repository at ``web_url``; an unparsable URL matches nothing."""
    try:
        return web_url_regex(web_url).search(repo_url) is not None
    except URLError:
        return False


def normalize_repo_url(url: str) -> str:
    """A stable label for a repository (metrics, logs): lower-case, no scheme, user, port or ``.git``."""
    text = url.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = re.sub(r"^[^@/]+@", "", text)
    host, sep, path = re.split(r"([:/])", text, maxsplit=1) if re.search(r"[:/]", text) else [text, "", ""]
    if sep == ":" and re.match(r"\d+(/|$)", path):
        path = path.split("/", 1)[1] if "/" in path else ""
    host = re.sub(r"^(alt)?ssh\.", "", host)
    path = path.strip("/").removesuffix(".git")
    return f"{host}/{path}" if path else host
