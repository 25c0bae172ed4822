"""Split YAML/JSON text into Kubernetes objects, remembering where each came from.

Multi-document YAML, JSON objects and JSON arrays are accepted; ``kind: List``
is expanded into its items. A document that is not a Kubernetes object (no
``apiVersion``/``kind``: a values file, a CI config) is skipped with a warning
naming file and document rather than failing the whole render. Syntax errors
fail with file and line, and so does a document whose cost is unbounded (an
alias bomb, nesting deeper than the engine's limit, a cyclic alias; see
:mod:`argosy.engine.yamlbounds`). Duplicate keys keep the last value, as in
Argo CD, with a warning naming file and line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from argosy.engine import yamlbounds
from argosy.repo.errors import ManifestParseError


@dataclass
class Document:
    object: dict[str, Any]
    index: int
    line: int | None


@dataclass
class Parsed:
    documents: list[Document] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def is_k8s_object(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("apiVersion"), str)
        and bool(doc["apiVersion"])
        and isinstance(doc.get("kind"), str)
        and bool(doc["kind"])
    )


def _yaml_docs(text: str, file: str, warnings: list[str]) -> list[tuple[Any, int]]:
    docs: list[tuple[Any, int]] = []
    try:
        for doc in yamlbounds.documents(text):
            docs.append((doc.value, doc.line))
            for key, key_line in doc.shape.duplicate_keys[:5]:
                warnings.append(
                    f"{file}:{key_line}: document {len(docs) - 1} repeats the key {key!r}; "
                    "the last value is used"
                )
    except yamlbounds.YAMLLimitError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise ManifestParseError(
            f"{file}:{line}: document {len(docs)} refused: {exc.problem} "
            "(a limit that keeps rendering bounded in CPU and memory)",
            file,
            line,
        ) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ManifestParseError(f"{file}:{line}: invalid YAML: {problem}", file, line) from exc
    except yaml.YAMLError as exc:
        raise ManifestParseError(f"{file}: invalid YAML: {exc}", file) from exc
    return docs


def load_file(path: Path, rel: str) -> Any:
    """The single YAML document of a repository file (Chart.yaml, kustomization.yaml), bounded.

    Errors are :class:`ManifestParseError` naming ``rel`` (and the line), also
    for a file that is not UTF-8 text.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestParseError(f"{rel}: not UTF-8 text (byte {exc.start})", rel) from exc
    try:
        return yamlbounds.load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ManifestParseError(
            f"{rel}:{line}: invalid YAML: {exc.problem or exc.context}", rel, line
        ) from exc
    except yaml.YAMLError as exc:
        raise ManifestParseError(f"{rel}: invalid YAML: {exc}", rel) from exc


def _json_docs(text: str, file: str) -> list[tuple[Any, int]]:
    try:
        data = yamlbounds.load_json(text)
    except json.JSONDecodeError as exc:
        raise ManifestParseError(f"{file}:{exc.lineno}: invalid JSON: {exc.msg}", file, exc.lineno) from exc
    except yamlbounds.YAMLLimitError as exc:
        raise ManifestParseError(
            f"{file}: refused: {exc.problem} (a limit that keeps rendering bounded in CPU and memory)", file
        ) from exc
    items = data if isinstance(data, list) else [data]
    return [(item, 1) for item in items]


def parse(text: str, file: str, json_file: bool = False) -> Parsed:
    """Objects of one file, in order; ``file`` is only used in messages and provenance."""
    out = Parsed()
    if not text.strip():
        return out
    docs = _json_docs(text, file) if json_file else _yaml_docs(text, file, out.warnings)
    for index, (doc, line) in enumerate(docs):
        if doc is None:
            continue
        if not is_k8s_object(doc):
            out.warnings.append(
                f"{file}: document {index} (line {line}) is not a Kubernetes object "
                "(no apiVersion/kind); skipped"
            )
            continue
        if doc["kind"].endswith("List") and isinstance(doc.get("items"), list):
            for item in doc["items"]:
                if is_k8s_object(item):
                    out.documents.append(Document(item, index, line))
                else:
                    out.warnings.append(
                        f"{file}: an item of the List in document {index} is not an object; skipped"
                    )
            continue
        out.documents.append(Document(doc, index, line))
    return out
