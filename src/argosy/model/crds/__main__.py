"""``python -m argosy.model.crds``: print the CRDs, for ``kubectl apply --server-side -f -``."""

from argosy.model.crds import crd_yaml

print(crd_yaml(), end="")
