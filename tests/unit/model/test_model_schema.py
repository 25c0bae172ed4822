"""The schema generator: view fields and docstrings become a structural OpenAPI schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from argosy.model.base import View
from argosy.model.meta import ObjectMeta
from argosy.model.schema import PRESERVE, field_docs, openapi_schema


@dataclass
class Inner(View):
    """An inner object with ``code`` in its docs."""

    _required: ClassVar[tuple[str, ...]] = ("key_id",)
    _json_keys: ClassVar[dict[str, str]] = {"key_id": "keyID"}

    key_id: str = ""
    """The key, documented."""
    weight: float = 0.0


@dataclass
class Scalars(View):
    """Every kind of field."""

    name: str = ""
    """A name."""
    count: int = 0
    ratio: float = 0.0
    enabled: bool = False
    tags: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    free: Any = None
    free_map: dict[str, Any] = field(default_factory=dict)
    free_list: list[Any] = field(default_factory=list)
    replicas: int | str = 0
    optional_inner: Inner | None = None
    inners: list[Inner] = field(default_factory=list)
    inner_map: dict[str, Inner] = field(default_factory=dict)
    metadata: ObjectMeta = field(default_factory=ObjectMeta)


def test_field_types_map_to_openapi_types() -> None:
    props = openapi_schema(Scalars)["properties"]
    assert props["name"] == {"description": "A name.", "type": "string"}
    assert props["count"] == {"type": "integer"}
    assert props["ratio"] == {"type": "number"}
    assert props["enabled"] == {"type": "boolean"}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["labels"] == {"type": "object", "additionalProperties": {"type": "string"}}
    assert props["free"] == {PRESERVE: True}
    assert props["freeMap"] == {"type": "object", PRESERVE: True}
    assert props["freeList"] == {"type": "array", "items": {PRESERVE: True}}
    assert props["replicas"] == {
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "x-kubernetes-int-or-string": True,
    }
    # The API server owns metadata's schema: a CRD may only say it is an object.
    assert props["metadata"] == {"type": "object"}


def test_nested_views_carry_required_json_keys_and_docs() -> None:
    props = openapi_schema(Scalars)["properties"]
    inner = {
        "type": "object",
        "properties": {
            "keyID": {"description": "The key, documented.", "type": "string"},
            "weight": {"type": "number"},
        },
        "required": ["keyID"],
    }
    # A field without its own docstring is described by its view's class docstring.
    assert props["optionalInner"] == {"description": "An inner object with `code` in its docs.", **inner}
    assert props["inners"] == {
        "description": "An inner object with `code` in its docs.",
        "type": "array",
        "items": inner,
    }
    assert props["innerMap"] == {"type": "object", "additionalProperties": inner}


def test_root_is_described_by_the_class_docstring() -> None:
    root = openapi_schema(Scalars)
    assert root["description"] == "Every kind of field."
    assert root["type"] == "object" and "required" not in root


@dataclass
class Status(View):
    """Written by a controller."""

    _preserve_unknown: ClassVar[bool] = True

    inner: Inner | None = None


@dataclass
class WithStatus(View):
    spec: Inner = field(default_factory=Inner)
    status: Status = field(default_factory=Status)


def test_preserve_unknown_applies_below_and_drops_required() -> None:
    props = openapi_schema(WithStatus)["properties"]
    assert props["spec"]["required"] == ["keyID"] and PRESERVE not in props["spec"]
    status = props["status"]
    assert status[PRESERVE] is True
    assert status["properties"]["inner"][PRESERVE] is True
    assert "required" not in status["properties"]["inner"]


@dataclass
class Template(View):
    """A template."""

    _shape_only: ClassVar[bool] = True

    inner: Inner = field(default_factory=Inner)
    """Documented, but below a template."""


@dataclass
class WithTemplate(View):
    template: Template = field(default_factory=Template)
    """The template."""


def test_no_descriptions_below_a_template() -> None:
    template = openapi_schema(WithTemplate)["properties"]["template"]
    assert template["description"] == "The template."
    inner = template["properties"]["inner"]
    assert "description" not in inner and "description" not in inner["properties"]["keyID"]
    assert inner["required"] == ["keyID"], "only descriptions are left out"


@dataclass
class Loop(View):
    again: Loop | None = None


@dataclass
class Odd(View):
    pair: tuple[str, str] = ("", "")


@dataclass
class Union(View):
    either: str | bool = ""


@pytest.mark.parametrize(
    ("view", "message"),
    [
        (Loop, "contains itself"),
        (Odd, "no schema for the view field type"),
        (Union, "no schema for the union"),
    ],
)
def test_a_view_the_api_server_could_not_use_is_a_bug_reported_at_generation(
    view: type[View], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        openapi_schema(view)


@dataclass
class Child(Inner):
    extra: str = ""
    """Only the child has this."""


def test_field_docs_come_from_the_source_and_are_inherited() -> None:
    assert field_docs(Child) == {"key_id": "The key, documented.", "extra": "Only the child has this."}
    assert field_docs(Scalars) == {"name": "A name."}


@dataclass
class Override(Template):
    """Merged over the template."""

    _untyped_in_crd: ClassVar[bool] = True


@dataclass
class WithOverride(View):
    override: Override | None = None
    """One generator's override."""


def test_an_untyped_view_keeps_its_fields_and_its_description_but_no_schema() -> None:
    override = openapi_schema(WithOverride)["properties"]["override"]
    assert override == {"description": "One generator's override.", "type": "object", PRESERVE: True}
    decoded = WithOverride.from_dict({"override": {"inner": {"keyID": 3}}})
    assert decoded.errors == ["override.inner.keyID: expected string, got integer"], "still decoded"
