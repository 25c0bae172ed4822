"""Image references as the image updater reads them: ``[alias=][registry/]name[:tag][@digest]``.

The rules are Docker's (``distribution/reference``, normalized): the first path
element is a registry when it holds a ``.`` or a ``:`` or is ``localhost``; a
Docker Hub name without registry keeps no ``docker.io`` (but an explicit
``docker.io/`` is kept) and loses the implicit ``library/``. A reference Docker
would reject (e.g. a digest that is not a full hex sum) is still read, by the
simpler rules Argo CD Image Updater falls back to, so nothing is dropped.

In an ``image-list`` annotation the tag part is the *version constraint*
(``repo/img:~1.2``), not a deployed tag: :attr:`ImageRef.tag` holds it as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]+)?)"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REFERENCE = re.compile(
    rf"^(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
DOCKER_HUB = "docker.io"


@dataclass(frozen=True)
class ImageRef:
    """One image reference. ``tag`` is None when none was written, ``""`` for a digest-only one."""

    registry: str
    name: str
    tag: str | None = None
    digest: str = ""
    alias: str = ""
    original: str = ""

    @property
    def full_name(self) -> str:
        """``registry/name`` (no tag): what a Helm ``image.name``/``repository`` parameter holds."""
        if self.registry and not self.name.startswith(self.registry + "/"):
            return f"{self.registry}/{self.name}"
        return self.name

    @property
    def full_name_with_tag(self) -> str:
        text = self.full_name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def tag_with_digest(self) -> str:
        """``tag@digest`` (``latest@digest`` for a digest-only reference), the tag alone, or ``""``."""
        text = self.tag or ""
        if self.digest:
            text = f"{text or 'latest'}@{self.digest}"
        return text

    def with_tag(self, tag: str, digest: str = "") -> ImageRef:
        return replace(self, tag=tag, digest=digest, original="")

    def __str__(self) -> str:
        return f"{self.alias}={self.full_name_with_tag}" if self.alias else self.full_name_with_tag


def _is_domain(first: str) -> bool:
    return "." in first or ":" in first or first == "localhost"


def _valid_digest(digest: str) -> bool:
    algorithm, _, hexsum = digest.partition(":")
    wanted = _DIGEST_LENGTHS.get(algorithm)
    return wanted is None or len(hexsum) == wanted


def split_alias(entry: str) -> tuple[str, str]:
    """``alias=image`` -> (alias, image). An ``=`` that belongs to a constraint (``img:>=1.2``) is not
    an alias separator, so constraints with ``>=``, ``<=``, ``!=`` can be written without an alias."""
    alias, sep, ref = entry.partition("=")
    if not sep or alias[-1:] in ("<", ">", "!"):
        return "", entry
    return alias, ref


def parse_image(identifier: str) -> ImageRef:
    """Read ``[alias=]reference``; never raises (an unusual spelling falls back to the simple rules)."""
    alias, ref = split_alias(identifier)
    m = _REFERENCE.match(ref)
    if m and (not m["digest"] or _valid_digest(m["digest"])):
        name = m["name"]
        first, slash, rest = name.partition("/")
        if slash and _is_domain(first):
            registry, path = first, rest
        else:
            registry, path = DOCKER_HUB, name if "/" in name else f"library/{name}"
        if registry == DOCKER_HUB and not ref.startswith(DOCKER_HUB):
            registry = ""
        if registry in ("", DOCKER_HUB) and not ref.startswith("library/"):
            path = path.removeprefix("library/")
        tag = m["tag"]
        digest = m["digest"] or ""
        if digest and tag is None:
            tag = ""
        return ImageRef(registry, path, tag, digest, alias, identifier)
    return _legacy(identifier, alias, ref)


def _legacy(identifier: str, alias: str, ref: str) -> ImageRef:
    registry = ""
    parts = ref.split("/")
    if len(parts) > 1 and "." in parts[0]:
        registry, ref = parts[0], "/".join(parts[1:])
    if "@" in ref:
        head, _, digest = ref.partition("@")
        colon, slash = head.rfind(":"), head.rfind("/")
        if colon > slash:
            return ImageRef(registry, head[:colon], head[colon + 1 :], digest, alias, identifier)
        return ImageRef(registry, head, "", digest, alias, identifier)
    name, sep, tag = ref.partition(":")
    return ImageRef(registry, name, tag if sep else None, "", alias, identifier)


def has_registry_prefix(name: str) -> bool:
    """True for the long form ``registry.example.com/img`` (first element holds a ``.``)."""
    parts = name.split("/")
    return len(parts) > 1 and "." in parts[0]


def short_form(name: str) -> str:
    """``docker.io/bitnami/nginx`` -> ``bitnami/nginx``; a short form is returned as is."""
    return name.split("/", 1)[1] if has_registry_prefix(name) else name


def same_image(left: str, right: str) -> bool:
    """True when two names (with or without tag) name the same repository, Docker Hub defaults applied."""

    def key(text: str) -> tuple[str, str]:
        ref = parse_image(text)
        return (ref.registry or DOCKER_HUB, ref.name)

    return key(left) == key(right)
