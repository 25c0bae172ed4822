"""Turning free text (cluster names, paths, branches) into valid Kubernetes names.

A cluster called ``admin@production-cluster-v1`` (what ``kubectl config``
names contexts) or a directory ``production_01/west`` cannot be an
Application name. Rather than making users rename their cluster Secret, the
generators offer a *normalized* form of each such parameter
(``nameNormalized``, ``path.basenameNormalized``, ``path.filenameNormalized``)
and templates have ``normalize`` and ``slugify``:

* :func:`normalize` — lowercase, every character outside ``[a-z0-9.-]``
  becomes ``-``, at most 253 characters, no ``-``/``.`` at either end
  (a valid DNS-1123 subdomain, which is what an Application name must be):
  ``admin@production-cluster-v1`` → ``admin-production-cluster-v1``.
* :func:`slugify` — :func:`normalize`, then a URL slug (only ``[a-z0-9-]``,
  no repeated ``-``) of at most ``max_size`` characters (default 50); with
  ``smart_truncate`` (default) it cuts at the last ``-`` so no word is split.
"""

from __future__ import annotations

import re

_INVALID_DNS = re.compile(r"[^-a-z0-9.]")
_NOT_SLUG = re.compile(r"[^a-z0-9_-]+")
_DASHES = re.compile(r"-{2,}")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
MAX_NAME_LENGTH = 253


def normalize(name: str) -> str:
    """A valid DNS-1123 subdomain made of ``name`` (see the module docstring)."""
    name = _INVALID_DNS.sub("-", name.lower())[:MAX_NAME_LENGTH]
    return name.strip("-.")


def slugify(text: str, max_size: int = 50, smart_truncate: bool = True) -> str:
    """A URL slug of ``normalize(text)`` of at most ``max_size`` characters."""
    slug = _NOT_SLUG.sub("-", normalize(text).replace(".", "-"))
    slug = _DASHES.sub("-", slug).strip("-_")
    if max_size <= 0 or len(slug) <= max_size:
        return slug
    if smart_truncate:
        cut = slug.rfind("-", 0, max_size + 1)
        slug = slug[:cut] if cut > 0 else slug[:max_size]
    else:
        slug = slug[:max_size]
    return slug.strip("-")


def invalid_name_reason(name: str) -> str:
    """Why ``name`` cannot name an Application ('' when it can)."""
    if not name:
        return "the name is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"the name is longer than {MAX_NAME_LENGTH} characters"
    if not _DNS_SUBDOMAIN.match(name):
        return (
            "a name must consist of lower case alphanumeric characters, '-' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return ""
