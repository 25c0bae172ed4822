"""Request bodies and responses are JSON exactly as the kubernetes client would write and read them."""

from __future__ import annotations

import datetime
import json

import pytest

from argosy.kube.clients import _dumps, _loads


def test_plain_objects_encode_as_json() -> None:
    body = {"metadata": {"name": "web", "labels": {"a": "1"}}, "spec": {"replicas": 3, "ratio": 0.5}}
    assert json.loads(_dumps(body)) == body


def test_dates_from_yaml_manifests_encode_as_iso_8601_like_the_client() -> None:
    body = {"data": {"day": datetime.date(2026, 1, 2), "at": datetime.datetime(2026, 1, 2, 3, 4, 5)}}
    assert json.loads(_dumps(body)) == {"data": {"day": "2026-01-02", "at": "2026-01-02T03:04:05"}}


def test_integers_beyond_64_bits_still_encode_and_decode() -> None:
    big = 2**70
    assert json.loads(_dumps({"n": big})) == {"n": big}
    assert _loads(b'{"n": 1180591620717411303424}') == {"n": big}


def test_an_unknown_type_is_refused_with_what_to_do() -> None:
    with pytest.raises(TypeError, match="give it as a string"):
        _dumps({"x": object()})


def test_text_that_is_not_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        _loads(b"<html>not json</html>")
