"""Authentication: local accounts, passwords, sessions and API tokens, as Argo CD does them.

* The built-in ``admin`` account gets a random password at first start, kept
  (readable once) in the Secret ``argocd-initial-admin-secret``; its bcrypt hash
  goes to ``argocd-secret`` ``admin.password``. ``admin.enabled: "false"`` in
  ``argocd-cm`` turns it off.
* Other local accounts are declared in ``argocd-cm`` as
  ``accounts.<name>: apiKey, login`` (capabilities) and
  ``accounts.<name>.enabled``; their hashes and token lists live in
  ``argocd-secret`` (``accounts.<name>.password``, ``.passwordMtime``, ``.tokens``).
* A login returns a session JWT (HS256, key ``server.secretkey`` of
  ``argocd-secret``, issuer ``argocd``, subject ``<account>:login``). API tokens
  have subject ``<account>:apiKey`` and an id (``jti``) listed in the account;
  deleting the id revokes the token. Changing a password invalidates every
  session issued before the change.
* Project tokens (subject ``proj:<project>:<role>``) are listed in the
  AppProject's ``spec.roles[].jwtTokens`` and stop working when removed.
* Repeated failed logins lock the user name out for a while (Argo CD's
  ``ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT`` / ``..._WINDOW_SECONDS``).

* SSO: with ``oidc.config`` in ``argocd-cm``, users log in through an OpenID
  Connect provider; the provider's ID token is their session (see ``oidc``).
"""
