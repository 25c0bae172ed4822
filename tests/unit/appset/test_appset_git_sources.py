"""Which repositories an ApplicationSet's git generators read (the webhook route refreshes those sets)."""

from __future__ import annotations

import json

from argosy.appset.events import git_sources


def test_git_sources_include_nested_generators_written_as_objects_or_json() -> None:
    appset = {
        "spec": {
            "generators": [
                {"git": {"repoURL": "https://git.example.com/a.git", "revision": "main"}},
                {
                    "matrix": {
                        "generators": [
                            {"clusters": {}},
                            json.dumps({"git": {"repoURL": "https://git.example.com/b.git"}}),
                        ]
                    }
                },
                {"list": {"elements": []}},
            ]
        }
    }
    assert git_sources(appset) == [
        ("https://git.example.com/a.git", "main"),
        ("https://git.example.com/b.git", ""),
    ]
