"""SOPS: encrypted manifests decrypted by the repo server itself.

Keep Secrets (or any manifest) encrypted in Git with `sops`_ and age or PGP
keys; Argosy decrypts them while rendering, the way Flux does and the way Argo
CD users get with a patched repo server, KSOPS and
``--enable-alpha-plugins --enable-exec`` - without any of that patching:

- **KSOPS** generators (``apiVersion: viaduct.ai/v1``, ``kind: ksops``, with
  ``files:`` and ``secretFrom:``) in a kustomization's ``generators:`` are
  expanded by Argosy (:mod:`.ksops`), read unchanged from existing
  repositories.
- **Flux style**: a manifest file with a top-level ``sops`` block (in a plain
  directory or referenced by a kustomization), and ``secretGenerator`` /
  ``configMapGenerator`` sources and patches that are SOPS files.
- **Helm** value files that are SOPS files, when the Application opts in.

Keys come from Secrets in the control-plane namespace (entries ``*.agekey``
and ``*.asc``), chosen in ``argocd-cm``, per AppProject and per Application
(:mod:`.selection`); never from the repository. The MAC of every file is
verified; a file that cannot be decrypted - no key, wrong key, tampered,
truncated, KMS only - fails the render with an error naming the file, so
nothing is applied or pruned; a still-encrypted object is never applied.
Clear text never reaches the render cache on disk or in memory unsealed.

.. _sops: https://github.com/getsops/sops
"""
