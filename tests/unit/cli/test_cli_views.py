"""What app list/get, proj windows list and app diff print, from API objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from argosy.cli.commands.appdiff import diff_text, manifests_text
from argosy.cli.commands.appview import LIST_HEADERS, app_get_text, conditions_text, history_text, list_row
from argosy.cli.commands.progress import WaitFor, unmet
from argosy.cli.commands.projview import windows_rows

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def _app(**status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": "argocd"},
        "spec": {
            "project": "team",
            "source": {"repoURL": "https://git/x.git", "path": "chart", "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
        "status": status,
    }


def test_app_list_row_has_argocd_columns_in_order() -> None:
    assert LIST_HEADERS == [
        "NAME",
        "CLUSTER",
        "NAMESPACE",
        "PROJECT",
        "STATUS",
        "HEALTH",
        "SYNCPOLICY",
        "CONDITIONS",
        "REPO",
        "PATH",
        "TARGET",
    ]
    app = _app(
        sync={"status": "OutOfSync"},
        health={"status": "Missing"},
        conditions=[{"type": "SyncError"}, {"type": "SyncError"}, {"type": "OrphanedResourceWarning"}],
    )
    assert list_row(app) == [
        "argocd/web",
        "https://kubernetes.default.svc",
        "web",
        "team",
        "OutOfSync",
        "Missing",
        "Auto-Prune",
        "SyncError(2),OrphanedResourceWarning(1)",
        "https://git/x.git",
        "chart",
        "HEAD",
    ]
    assert conditions_text(_app()) == "<none>"


def test_app_get_shows_status_resources_conditions_and_operation() -> None:
    app = _app(
        sync={"status": "Synced", "revision": "b" * 40},
        health={"status": "Healthy"},
        resources=[
            {
                "group": "apps",
                "kind": "Deployment",
                "namespace": "web",
                "name": "web",
                "status": "Synced",
                "health": {"status": "Healthy"},
            }
        ],
        conditions=[
            {
                "type": "SharedResourceWarning",
                "message": "shared",
                "lastTransitionTime": "2026-03-04T09:00:00Z",
            }
        ],
        operationState={
            "phase": "Succeeded",
            "message": "successfully synced",
            "startedAt": "2026-03-04T09:00:00Z",
            "finishedAt": "2026-03-04T09:00:12Z",
            "operation": {"sync": {}},
            "syncResult": {
                "revision": "b" * 40,
                "resources": [
                    {
                        "group": "apps",
                        "kind": "Deployment",
                        "namespace": "web",
                        "name": "web",
                        "message": "deployment.apps/web created",
                    }
                ],
            },
        },
    )
    text = app_get_text(app, {"spec": {}}, now=NOW)
    assert "Name:               argocd/web" in text
    assert "Sync Status:        Synced to HEAD (bbbbbbb)" in text
    assert "Sync Policy:        Automated (Prune, SelfHeal)" in text
    assert "SyncWindow:         Sync Allowed" in text
    assert "Duration:           12s" in text
    assert "SharedResourceWarning  shared" in text
    last = text.splitlines()[-1].split()
    assert last == ["apps", "Deployment", "web", "web", "Synced", "Healthy", "deployment.apps/web", "created"]


def test_app_get_shows_why_a_resource_is_not_healthy() -> None:
    degraded = {
        "group": "cert-manager.io",
        "kind": "Certificate",
        "namespace": "web",
        "name": "tls",
        "status": "Synced",
        "health": {"status": "Degraded", "message": "Issuer letsencrypt not found"},
    }
    app = _app(sync={"status": "Synced"}, health={"status": "Degraded"}, resources=[degraded])
    last = app_get_text(app, {"spec": {}}, now=NOW).splitlines()[-1]
    assert last.split()[:6] == ["cert-manager.io", "Certificate", "web", "tls", "Synced", "Degraded"]
    assert last.endswith("Issuer letsencrypt not found")


def test_app_get_says_when_the_next_allowed_window_opens() -> None:
    opens = NOW + timedelta(hours=3)
    project = {
        "spec": {
            "syncWindows": [
                {
                    "kind": "allow",
                    "schedule": f"0 {opens.hour} * * *",
                    "duration": "1h",
                    "applications": ["*"],
                    "timeZone": "UTC",
                }
            ]
        }
    }
    text = app_get_text(_app(), project, now=NOW)
    assert "SyncWindow:         Sync Denied" in text
    assert "Next Sync Window:   2026-03-04 13:00:00 +0000 UTC (in 3h0m0s)" in text
    assert "Manual Sync:        blocked" in text


def test_history_groups_by_source() -> None:
    app = _app(
        history=[
            {
                "id": 0,
                "revision": "c" * 40,
                "deployedAt": "2026-03-04T09:00:00Z",
                "source": {"repoURL": "https://git/x.git", "targetRevision": "HEAD"},
            }
        ]
    )
    lines = history_text(app).splitlines()
    assert lines[0] == "SOURCE  https://git/x.git"
    assert lines[1].split() == ["ID", "DATE", "REVISION"]
    assert lines[2].split() == ["0", "2026-03-04", "09:00:00", "+0000", "UTC", "HEAD", "(ccccccc)"]


def test_windows_rows_say_which_window_is_active_now() -> None:
    windows = [
        {
            "kind": "deny",
            "schedule": "* * * * *",
            "duration": "1h",
            "applications": ["*"],
            "manualSync": True,
        },
        {
            "kind": "allow",
            "schedule": "0 6 * * *",
            "duration": "6h",
            "timeZone": "Europe/Paris",
            "clusters": ["a", "b"],
        },
        {"kind": "allow", "schedule": "not cron", "duration": "1h"},
    ]
    rows = windows_rows(windows, NOW)  # 11:00 in Paris: inside 06:00 + 6h
    assert rows[0] == ["0", "Active", "deny", "* * * * *", "1h", "*", "-", "-", "Enabled", "UTC", "Disabled"]
    assert rows[1][:2] == ["1", "Active"] and rows[1][7] == "a,b" and rows[1][9] == "Europe/Paris"
    assert rows[2][1].startswith("Invalid (")
    assert windows_rows(windows[1:2], NOW.replace(hour=20))[0][1] == "Inactive"


def test_diff_masks_secret_values_and_reports_difference() -> None:
    items = [
        {
            "group": "",
            "kind": "Secret",
            "namespace": "web",
            "name": "creds",
            "status": "OutOfSync",
            "targetState": {"kind": "Secret"},
            "liveState": {"kind": "Secret"},
            "diff": [{"path": "/data/password", "desired": "bmV3", "live": "b2xk"}],
        },
        {
            "group": "apps",
            "kind": "Deployment",
            "namespace": "web",
            "name": "web",
            "status": "OutOfSync",
            "targetState": {"spec": {"replicas": 2}},
            "liveState": {"spec": {"replicas": 1}},
        },
        {
            "group": "",
            "kind": "ConfigMap",
            "namespace": "web",
            "name": "same",
            "status": "Synced",
            "targetState": {"data": {"a": "1"}},
            "liveState": {"data": {"a": "1"}},
        },
    ]
    text, different = diff_text(items)
    assert different
    assert "bmV3" not in text and "b2xk" not in text
    assert "===== /Secret web/creds ======" in text
    assert "===== apps/Deployment web/web ======\n@@ /spec/replicas @@\n< 1\n> 2" in text
    assert "same" not in text
    assert diff_text(items[2:]) == ("", False)


def test_manifests_mask_secrets() -> None:
    text = manifests_text(
        [{"kind": "Secret", "data": {"k": "c2VjcmV0"}}, {"kind": "ConfigMap", "data": {"a": "b"}}]
    )
    assert "c2VjcmV0" not in text and "++++++++" in text and "\n---\n" in text


def test_wait_conditions() -> None:
    running = {
        "metadata": {"name": "x"},
        "operation": {"sync": {}},
        "status": {"sync": {"status": "OutOfSync"}},
    }
    want = WaitFor().normalized()
    assert unmet(running, want) == ["operation (Pending)", "sync (OutOfSync)", "health (Unknown)"]
    done = {
        "metadata": {"name": "x"},
        "status": {
            "sync": {"status": "Synced"},
            "health": {"status": "Healthy"},
            "operationState": {"phase": "Succeeded"},
        },
    }
    assert unmet(done, want) == []
    assert unmet(done, WaitFor(degraded=True)) == ["degraded (Healthy)"]
