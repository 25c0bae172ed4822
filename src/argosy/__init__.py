"""Argosy: GitOps continuous delivery for Kubernetes.

Argosy keeps clusters in sync with Git, using the same ``argoproj.io/v1alpha1``
resources and settings ConfigMaps/Secrets as Argo CD, so existing users can
point it at what they already have.
"""

__version__ = "0.1.0"
