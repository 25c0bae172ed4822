"""Typed views of Argo CD's settings objects (``argocd-cm``, ``argocd-rbac-cm``,
``argocd-secret``, cluster and repository Secrets).

Users bring these objects over from Argo CD unchanged, so each parser here
accepts exactly the keys and formats Argo CD documents, and reports a bad
value by naming the ConfigMap key it came from.
"""
