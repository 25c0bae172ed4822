"""Picks the hosting-service client a ``pullRequest`` or ``scmProvider`` generator names.

Each provider family lives in its own module over the shared
:class:`~argosy.appset.scm.client.Api`: :mod:`.github` (``github``, ``gitea``),
:mod:`.gitlab` and :mod:`.bitbucket_server` (``bitbucketServer``). Tokens come
from Secrets of the control-plane namespace (``secret`` looks one up by name)
and are sent only to the API the generator names. Azure DevOps, Bitbucket
Cloud and AWS CodeCommit are refused with an error naming them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argosy.appset.scm import bitbucket_server, github, gitlab
from argosy.appset.scm.client import SecretGetter
from argosy.appset.scm.model import PullRequestProvider, ScmError, ScmProvider

SUPPORTED = (*github.KINDS, "gitlab", "bitbucketServer")


def _provider(spec: Mapping[str, Any], generator: str) -> tuple[str, Mapping[str, Any]]:
    for kind in SUPPORTED:
        if isinstance(spec.get(kind), Mapping):
            return kind, spec[kind]
    named = [k for k, v in spec.items() if isinstance(v, Mapping) and k not in ("template", "values")]
    raise ScmError(
        f"{generator}: provider {', '.join(named) or '(none)'} is not supported yet "
        f"(supported: {', '.join(SUPPORTED)})"
    )


class HttpScm:
    """:class:`~argosy.appset.scm.model.ScmSource` over the hosting services' REST APIs."""

    def __init__(self, secret: SecretGetter) -> None:
        self._secret = secret

    def pull_requests(self, spec: Mapping[str, Any]) -> PullRequestProvider:
        kind, provider = _provider(spec, "pullRequest")
        if kind == "gitlab":
            return gitlab.merge_requests(provider, self._secret)
        if kind == "bitbucketServer":
            return bitbucket_server.pull_requests(provider, self._secret)
        return github.pull_requests(kind, provider, self._secret)

    def scm_provider(self, spec: Mapping[str, Any]) -> ScmProvider:
        kind, provider = _provider(spec, "scmProvider")
        clone_protocol = str(spec.get("cloneProtocol") or "")
        if kind == "gitlab":
            return gitlab.group(provider, clone_protocol, self._secret)
        if kind == "bitbucketServer":
            return bitbucket_server.project(provider, clone_protocol, self._secret)
        return github.organisation(kind, provider, clone_protocol, self._secret)
