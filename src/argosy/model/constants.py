"""Well-known names shared with Argo CD: API group, finalizers, annotations, labels.

These strings are the compatibility contract: manifests, Helm charts and
scripts written for Argo CD set them, so Argosy must read and write exactly
the same spelling.
"""

from __future__ import annotations

from typing import Final

GROUP: Final = "argoproj.io"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"

KIND_APPLICATION: Final = "Application"
KIND_APP_PROJECT: Final = "AppProject"
KIND_APPLICATION_SET: Final = "ApplicationSet"

DEFAULT_NAMESPACE: Final = "argocd"
"""The control-plane namespace when none is given, as Argo CD's install uses."""

INITIAL_ADMIN_SECRET: Final = "argocd-initial-admin-secret"
"""Where the server stores the generated admin password on first start (key ``password``)."""

DEFAULT_PROJECT: Final = "default"
"""The project every installation has; Argo CD creates it permissive."""

# Finalizers on an Application decide what happens to its resources on delete.
RESOURCES_FINALIZER: Final = "resources-finalizer.argocd.argoproj.io"
"""Delete the app's resources (foreground cascading) before the Application goes."""
RESOURCES_FINALIZER_BACKGROUND: Final = f"{RESOURCES_FINALIZER}/background"
"""Same, with background cascading deletion."""
POST_DELETE_FINALIZER: Final = "post-delete-finalizer.argocd.argoproj.io"
"""Run PostDelete hooks after the resources are gone."""
POST_DELETE_FINALIZER_CLEANUP: Final = f"{POST_DELETE_FINALIZER}/cleanup"
"""Delete the PostDelete hooks themselves once they ran."""

# Annotations set on managed resources (in Git) to steer sync and compare.
ANNOTATION_HOOK: Final = "argocd.argoproj.io/hook"
ANNOTATION_HOOK_DELETE_POLICY: Final = "argocd.argoproj.io/hook-delete-policy"
ANNOTATION_SYNC_WAVE: Final = "argocd.argoproj.io/sync-wave"
ANNOTATION_SYNC_OPTIONS: Final = "argocd.argoproj.io/sync-options"
ANNOTATION_COMPARE_OPTIONS: Final = "argocd.argoproj.io/compare-options"
ANNOTATION_TRACKING_ID: Final = "argocd.argoproj.io/tracking-id"
"""Annotation tracking: ``<app>:<group>/<kind>:<namespace>/<name>``."""
ANNOTATION_INSTANCE: Final = "argocd.argoproj.io/instance"

# Annotations set on an Application.
ANNOTATION_REFRESH: Final = "argocd.argoproj.io/refresh"
"""``normal`` or ``hard``: ask the controller for a refresh; it removes the annotation."""
ANNOTATION_MANIFEST_GENERATE_PATHS: Final = "argocd.argoproj.io/manifest-generate-paths"
"""``;``-separated paths whose changes a webhook push must touch to refresh the app."""
ANNOTATION_SKIP_RECONCILE: Final = "argocd.argoproj.io/skip-reconcile"
ANNOTATION_IMAGE_OVERRIDES: Final = "argosy.io/image-overrides"
"""Argosy's image overrides (Kustomize image syntax) for the rendered workloads of Directory sources."""
INFO_IMAGE_OVERRIDES: Final = "imageOverrides"
"""The ``operation.info`` entry recording the image overrides a sync used (a change re-triggers auto-sync)."""

# Helm hook annotations, which Argo CD maps onto its own hooks.
ANNOTATION_HELM_HOOK: Final = "helm.sh/hook"
ANNOTATION_HELM_HOOK_WEIGHT: Final = "helm.sh/hook-weight"
ANNOTATION_HELM_HOOK_DELETE_POLICY: Final = "helm.sh/hook-delete-policy"

LABEL_INSTANCE: Final = "app.kubernetes.io/instance"
"""Label tracking (Argo CD's default): the label value is the app name."""
LABEL_SECRET_TYPE: Final = "argocd.argoproj.io/secret-type"
