"""Tag selection beyond the peer cases: the tutorial's ``:vx``, filters, pre-releases, errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from argosy.imageupdater import annotations as ann
from argosy.imageupdater.appupdate import check_pull_secret
from argosy.imageupdater.config import UpdateSettings
from argosy.imageupdater.credentials import CredentialsError
from argosy.imageupdater.reference import parse_image, same_image
from argosy.imageupdater.strategy import (
    Selection,
    SelectionError,
    Strategy,
    newest_tag,
    parse_allow_tags,
    parse_strategy,
)
from argosy.imageupdater.tags import ImageTag, TagList


def tags(*names: str) -> TagList:
    return TagList(ImageTag(n) for n in names)


def test_the_tutorials_vx_constraint_picks_the_newest_v_tag() -> None:
    ref = parse_image("qjoly/kubernetes-coffee-image:vx")
    assert (ref.registry, ref.name, ref.tag) == ("", "qjoly/kubernetes-coffee-image", "vx")
    found = newest_tag(Selection(constraint=ref.tag or ""), tags("v1", "v2", "v4", "v3", "latest"))
    assert found is not None and found.name == "v4"


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [("", "v2.0.0"), ("*", "v2.0.0"), (">=2.1.0-0", "v2.1.0-rc.1"), ("~1", "v1.9.0"), ("1.x", "v1.9.0")],
)
def test_pre_releases_only_when_the_constraint_asks(constraint: str, expected: str) -> None:
    found = newest_tag(Selection(constraint=constraint), tags("v1.0.0", "v1.9.0", "v2.0.0", "v2.1.0-rc.1"))
    assert found is not None and found.name == expected


def test_allow_and_ignore_filter_before_the_strategy() -> None:
    allow = parse_allow_tags("regexp:^v1\\.")
    found = newest_tag(Selection(allow=allow, ignore=("v1.9*",)), tags("v1.0.0", "v1.9.0", "v2.0.0"))
    assert found is not None and found.name == "v1.0.0"
    assert newest_tag(Selection(allow=parse_allow_tags("any")), tags("v3")) == ImageTag("v3")


def test_newest_build_and_alphabetical() -> None:
    old, new = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    listed = TagList([ImageTag("zzz", old), ImageTag("aaa", new)])
    assert newest_tag(Selection(parse_strategy("latest")), listed) == ImageTag("aaa", new)
    assert newest_tag(Selection(parse_strategy("name")), listed) == ImageTag("zzz", old)


def test_settings_errors_name_the_setting() -> None:
    with pytest.raises(SelectionError, match="update-strategy 'newest'"):
        parse_strategy("newest")
    with pytest.raises(SelectionError, match="allow-tags 'glob:v1'"):
        parse_allow_tags("glob:v1")
    with pytest.raises(SelectionError, match="allow-tags 'regexp:\\('"):
        parse_allow_tags("regexp:(")
    with pytest.raises(SelectionError, match="digest needs the tag"):
        newest_tag(Selection(Strategy.DIGEST), tags("latest"))
    with pytest.raises(SelectionError, match="'latest'"):
        newest_tag(Selection(constraint="latest"), tags("1.0"))


def test_per_alias_settings_win_over_application_wide_ones() -> None:
    annotations = {
        ann.IMAGE_LIST: "web=nginx:~1, api=quay.io/o/api",
        f"{ann.PREFIX}/update-strategy": "latest",
        f"{ann.PREFIX}/ignore-tags": "dev",
        f"{ann.PREFIX}/web.update-strategy": "semver",
        f"{ann.PREFIX}/web.helm.image-name": "web.image.repository",
        f"{ann.PREFIX}/web.platforms": "linux/arm64",
        f"{ann.PREFIX}/write-back-method": "git",
    }
    config = ann.app_config(annotations)
    web, api = config.images
    assert config.settings_for(web) == UpdateSettings(
        update_strategy="semver", ignore_tags=("dev",), platforms=("linux/arm64",)
    )
    assert config.settings_for(api) == UpdateSettings(update_strategy="latest", ignore_tags=("dev",))
    assert web.target is not None and web.target.helm_name == "web.image.repository"
    assert config.write_back is not None and config.write_back.method == "git"


def test_helm_and_kustomize_targets_exclude_each_other() -> None:
    annotations = {
        ann.IMAGE_LIST: "a=nginx",
        f"{ann.PREFIX}/a.helm.image-tag": "image.tag",
        f"{ann.PREFIX}/a.kustomize.image-name": "nginx",
    }
    with pytest.raises(ann.AnnotationError, match="alias 'a': both helm and kustomize"):
        ann.app_config(annotations)


def test_same_image_applies_docker_hub_defaults() -> None:
    assert same_image("nginx:1.0", "docker.io/library/nginx")
    assert same_image("127.0.0.1:5000/app:v1", "127.0.0.1:5000/app")
    assert not same_image("127.0.0.1:5000/app", "127.0.0.1:5001/app")


def test_pull_secrets_named_by_apps_stay_in_their_namespaces() -> None:
    allowed = ("argocd", "team-a")
    for ok in (None, "env:CREDS", "ext:/bin/creds", "pullsecret:argocd/reg", "secret:team-a/reg#creds"):
        check_pull_secret(ok, allowed)
    with pytest.raises(CredentialsError, match="must be in namespace argocd or team-a"):
        check_pull_secret("secret:kube-system/admin#token", allowed)
