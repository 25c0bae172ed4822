"""Single sign-on with an OpenID Connect provider, as Argo CD's ``oidc.config`` does it.

The browser goes to ``/auth/login``; the server sends it to the provider with
an authorization-code request (PKCE, ``state`` and ``nonce``); the provider
sends it back to ``/auth/callback`` with a code, which the server exchanges
for an ID token. That ID token, verified against the provider's keys, is the
session: it is set as the ``argocd.token`` cookie, and the CLI (``argosy login
--sso``, which runs the same flow with a loopback listener) sends it as a
bearer token. Its ``sub`` and the claims named by ``argocd-rbac-cm`` ``scopes``
(``groups`` by default) are the RBAC subjects, so ``g, team-a, role:guest``
gives members of ``team-a`` the guest role.

Modules: ``config`` (``oidc.config`` and ``url`` in ``argocd-cm``),
``provider`` (discovery, keys, token endpoint), ``verify`` (ID token checks),
``pkce`` (state, nonce, code challenge and the authorize URL).
"""
