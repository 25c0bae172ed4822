"""Argo CD Image Updater's own cases (``../shared/peer-data/imageupdater``) through the pure code.

Every case kind (tag selection, sorting, tag equality, references, annotation
parsing) runs against :mod:`argosy.imageupdater`; ``test_image_updater_cli_units``
runs the ``newest_tag`` cases through ``argosy image-updater test --tags-file`` too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import yaml

from argosy.imageupdater import annotations as ann
from argosy.imageupdater.reference import has_registry_prefix, parse_image, short_form
from argosy.imageupdater.strategy import Selection, SelectionError, is_ignored, newest_tag, parse_strategy
from argosy.imageupdater.tags import EPOCH, ImageTag, TagList
from support.peer_data import PEER_DATA


def _cases() -> list[Any]:
    path = PEER_DATA / "imageupdater" / "cases.yaml"
    if not path.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"peer data {path} not present"))]
    cases = yaml.safe_load(path.read_text())["cases"]
    return [pytest.param(c, id=f"{i}-{c['kind']}") for i, c in enumerate(cases)]


def _date(text: str | None) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else EPOCH


def tag_list(case: dict[str, Any]) -> TagList:
    dates = case.get("tag_dates") or {}
    digests = case.get("tag_digests") or {}
    return TagList(ImageTag(str(t), _date(dates.get(t)), digests.get(t, "")) for t in case["tags"])


def _newest(case: dict[str, Any]) -> None:
    selection = Selection(parse_strategy(case["strategy"]), str(case.get("constraint") or ""))
    if case.get("error"):
        with pytest.raises(SelectionError):
            newest_tag(selection, tag_list(case))
        return
    found = newest_tag(selection, tag_list(case))
    assert (found.name if found else None) == case["expected"]
    if "expected_digest" in case:
        assert found is not None and found.digest == case["expected_digest"]


def _sort(case: dict[str, Any]) -> None:
    tags = tag_list(case)
    ordered = {"alphabetical": tags.by_name, "semver": tags.by_semver, "date": tags.by_date}[case["sort"]]()
    assert [t.name for t in ordered] == case["expected"]


def _ref(case: dict[str, Any]) -> None:
    ref = parse_image(case["input"])
    actual = {
        "registry": ref.registry,
        "alias": ref.alias,
        "image_name": ref.name,
        "tag": ref.tag,
        "digest": ref.digest,
        "tag_with_digest": ref.tag_with_digest,
        "full_name_with_tag": ref.full_name_with_tag,
        "full_name_without_tag": ref.full_name,
        "string": str(ref),
        "original": ref.original,
    }
    for key, wanted in case["expected"].items():
        assert actual[key] == wanted, key


def _image_list(case: dict[str, Any]) -> None:
    if case.get("error_contains"):
        with pytest.raises(ann.AnnotationError, match=case["error_contains"]):
            ann.parse_image_list(case["annotations"])
        return
    found = ann.parse_image_list(case["annotations"])
    assert [{"alias": a, "image": i} for a, i in found] == case["expected"]


def _settings(case: dict[str, Any]) -> None:
    if case.get("error_contains"):
        with pytest.raises(ann.AnnotationError, match=case["error_contains"]):
            ann.update_settings(case["annotations"], case["alias"])
        return
    found = ann.update_settings(case["annotations"], case["alias"])
    if case["expected"] is None:
        assert found is None
        return
    assert found is not None
    actual = found.as_camel()
    for key, wanted in case["expected"].items():
        assert actual[key] == wanted, key


def _tag_equals(case: dict[str, Any]) -> None:
    a, b = (ImageTag(case[k]["name"], digest=case[k]["digest"]) for k in ("a", "b"))
    assert a.equals(b) is case["expected"]


CHECKS = {
    "newest_tag": _newest,
    "sort_tags": _sort,
    "parse_ref": _ref,
    "parse_image_list": _image_list,
    "update_settings": _settings,
    "tag_equals": _tag_equals,
    "ignore_tag": lambda c: _eq(is_ignored(c["tag"], c["ignore"]), c["expected"]),
    "has_registry_prefix": lambda c: _eq(has_registry_prefix(c["input"]), c["expected"]),
    "extract_short_form": lambda c: _eq(short_form(c["input"]), c["expected"]),
}


def _eq(actual: object, wanted: object) -> None:
    assert actual == wanted


@pytest.mark.parametrize("case", _cases())
def test_peer_case(case: dict[str, Any]) -> None:
    CHECKS[case["kind"]](case)
