"""The REST routes, one module per Argo CD service (session, account, applications, ...).

Every route that reads or changes something calls the RBAC enforcer with
Argo CD's resource, action and object, so a policy written for Argo CD
grants exactly the same through Argosy.
"""
