"""What a webhook says happened: which provider, which repository, which ref, which files.

The provider is recognised from its headers (in Argo CD's order: Azure
DevOps, Gogs/Gitea before GitHub because Gitea also sends GitHub's headers,
GitHub, GitLab, Bitbucket Cloud, Bitbucket Server). A ``push`` becomes a
:class:`PushEvent`; ``ping`` and other events are recognised and ignored.
A body that is not the JSON object the provider documents is a
:class:`PayloadError`, never a crash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from argosy.server.webhook.signature import (
    AZURE_DEVOPS,
    BITBUCKET,
    BITBUCKET_SERVER,
    GITEA,
    GITHUB,
    GITLAB,
    GOGS,
)


class PayloadError(ValueError):
    """The body cannot be read as the provider's event; answer 400."""


@dataclass(frozen=True)
class PushEvent:
    """A push: refresh the apps that track ``revision`` (or the default branch) of these repositories."""

    provider: str
    web_urls: tuple[str, ...]
    revision: str
    touched_head: bool
    before: str = ""
    after: str = ""
    changed_files: tuple[str, ...] = ()
    ref: str = ""


@dataclass(frozen=True)
class IgnoredEvent:
    """An authenticated event that asks for nothing (``ping``, issues, …)."""

    provider: str
    event: str
    web_urls: tuple[str, ...] = field(default=())


Event = PushEvent | IgnoredEvent


def detect_provider(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """``(provider, event name)`` from lower-cased headers, or None when no provider is recognised."""
    if "x-vss-activityid" in headers:
        return AZURE_DEVOPS, ""
    if "x-gogs-event" in headers:
        return GOGS, headers["x-gogs-event"]
    if "x-gitea-event" in headers:
        return GITEA, headers["x-gitea-event"]
    if "x-github-event" in headers:
        return GITHUB, headers["x-github-event"]
    if "x-gitlab-event" in headers:
        return GITLAB, headers["x-gitlab-event"]
    if "x-hook-uuid" in headers:
        return BITBUCKET, headers.get("x-event-key", "")
    if "x-event-key" in headers:
        return BITBUCKET_SERVER, headers["x-event-key"]
    return None


def parse_revision(ref: str) -> str:
    """``refs/heads/feature/x`` -> ``feature/x``; ``refs/tags/v1`` -> ``v1`` (Argo CD's ParseRevision)."""
    return ref.split("/", 2)[-1]


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _files(commits: Any) -> tuple[str, ...]:
    out: list[str] = []
    for commit in commits if isinstance(commits, list) else []:
        for key in ("added", "modified", "removed"):
            out.extend(f for f in _obj(commit).get(key) or [] if isinstance(f, str))
    return tuple(out)


def _load(body: bytes, provider: str) -> Mapping[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as err:
        raise PayloadError(f"{provider} webhook body is not valid JSON: {err}") from None
    except RecursionError:  # "[[[[…" nested beyond the parser's depth: no provider sends that
        raise PayloadError(f"{provider} webhook body is nested too deeply to be a push event") from None
    if not isinstance(payload, Mapping):
        raise PayloadError(f"{provider} webhook body must be a JSON object")
    return payload


def _git_push(provider: str, payload: Mapping[str, Any], repo: Mapping[str, Any], web_url: str) -> PushEvent:
    """GitHub, GitLab, Gogs and Gitea share a shape: ref, before, after, commits[].added/modified/removed."""
    ref = _str(payload.get("ref"))
    revision = parse_revision(ref)
    return PushEvent(
        provider=provider,
        web_urls=(web_url,) if web_url else (),
        revision=revision,
        touched_head=bool(revision) and _str(repo.get("default_branch")) == revision,
        before=parse_revision(_str(payload.get("before"))),
        after=parse_revision(_str(payload.get("after"))),
        changed_files=_files(payload.get("commits")),
        ref=ref,
    )


def _github(event: str, payload: Mapping[str, Any]) -> Event:
    repo = _obj(payload.get("repository"))
    web_url = _str(repo.get("html_url"))
    if event != "push":
        return IgnoredEvent(GITHUB, event, (web_url,) if web_url else ())
    return _git_push(GITHUB, payload, repo, web_url)


def _gitlab(event: str, payload: Mapping[str, Any]) -> Event:
    project = _obj(payload.get("project"))
    web_url = _str(project.get("web_url"))
    kind = _str(payload.get("object_kind")) or _str(payload.get("event_name"))
    if event not in ("Push Hook", "Tag Push Hook", "System Hook") or kind not in ("push", "tag_push"):
        return IgnoredEvent(GITLAB, event or kind, (web_url,) if web_url else ())
    return _git_push(GITLAB, payload, project, web_url)


def _gogs(provider: str, event: str, payload: Mapping[str, Any]) -> Event:
    repo = _obj(payload.get("repository"))
    web_url = _str(repo.get("html_url"))
    if event != "push":
        return IgnoredEvent(provider, event, (web_url,) if web_url else ())
    return _git_push(provider, payload, repo, web_url)


def _bitbucket(event: str, payload: Mapping[str, Any]) -> Event:
    repo = _obj(payload.get("repository"))
    web_url = _str(_obj(_obj(repo.get("links")).get("html")).get("href"))
    if event != "repo:push":
        return IgnoredEvent(BITBUCKET, event, (web_url,) if web_url else ())
    changes = _obj(payload.get("push")).get("changes")
    first = _obj(changes[0]) if isinstance(changes, list) and changes else {}
    new, old = _obj(first.get("new")), _obj(first.get("old"))
    return PushEvent(
        provider=BITBUCKET,
        web_urls=(web_url,) if web_url else (),
        revision=_str(new.get("name")),
        touched_head=True,  # the payload does not say; let the refresh decide, as Argo CD does
        before=_str(_obj(old.get("target")).get("hash")),
        after=_str(_obj(new.get("target")).get("hash")),
    )


def _bitbucket_server(event: str, payload: Mapping[str, Any]) -> Event:
    links = _obj(_obj(payload.get("repository")).get("links")).get("clone")
    urls = tuple(
        _str(_obj(link).get("href"))
        for link in (links if isinstance(links, list) else [])
        if _obj(link).get("name") in ("http", "ssh") and _str(_obj(link).get("href"))
    )
    if event != "repo:refs_changed":
        return IgnoredEvent(BITBUCKET_SERVER, event, urls)
    changes = payload.get("changes")
    first = _obj(changes[0]) if isinstance(changes, list) and changes else {}
    ref = _str(_obj(first.get("ref")).get("id")) or _str(first.get("refId"))
    return PushEvent(
        provider=BITBUCKET_SERVER,
        web_urls=urls,
        revision=parse_revision(ref),
        touched_head=True,  # the payload does not name the default branch
        before=_str(first.get("fromHash")),
        after=_str(first.get("toHash")),
        ref=ref,
    )


def _azure_devops(payload: Mapping[str, Any]) -> Event:
    resource = _obj(payload.get("resource"))
    repo = _obj(resource.get("repository"))
    web_url = _str(repo.get("remoteUrl"))
    event = _str(payload.get("eventType"))
    if event != "git.push":
        return IgnoredEvent(AZURE_DEVOPS, event, (web_url,) if web_url else ())
    updates = resource.get("refUpdates")
    first = _obj(updates[0]) if isinstance(updates, list) and updates else {}
    ref = _str(first.get("name"))
    return PushEvent(
        provider=AZURE_DEVOPS,
        web_urls=(web_url,) if web_url else (),
        revision=parse_revision(ref),
        touched_head=bool(ref) and ref == _str(repo.get("defaultBranch")),
        before=parse_revision(_str(first.get("oldObjectId"))),
        after=parse_revision(_str(first.get("newObjectId"))),
        ref=ref,
    )


def parse_event(provider: str, event: str, body: bytes) -> Event:
    """Read an (already authenticated) body as ``provider``'s ``event``; raises PayloadError."""
    payload = _load(body, provider)
    if provider == GITHUB:
        return _github(event, payload)
    if provider == GITLAB:
        return _gitlab(event, payload)
    if provider in (GOGS, GITEA):
        return _gogs(provider, event, payload)
    if provider == BITBUCKET:
        return _bitbucket(event, payload)
    if provider == BITBUCKET_SERVER:
        return _bitbucket_server(event, payload)
    if provider == AZURE_DEVOPS:
        return _azure_devops(payload)
    raise PayloadError(f"unknown webhook provider {provider!r}")
