"""The image updater: new image tags reach Applications without anyone editing them by hand.

As a user sees it (the same contract as Argo CD Image Updater):

* you list the images an Application may update, either with annotations on the
  Application (``argocd-image-updater.argoproj.io/image-list: app=repo/img:~1.2``
  plus per-alias settings) or with an ``ImageUpdater`` resource
  (``argocd-image-updater.argoproj.io/v1alpha1``) that selects Applications by
  name pattern or labels;
* every cycle (``argosy image-updater``, 2 minutes by default, or ``--once``) the
  updater reads each image's tags from its registry (OCI distribution API,
  ``registries.conf`` endpoints, pull secrets, rate limits, a tag cache) and picks
  the newest one the strategy allows: ``semver`` (default), ``newest-build``
  (``latest``), ``alphabetical`` (``name``) or ``digest``;
* when it differs from what the Application deploys, the updater writes it back:
  ``argocd`` sets the Application's Helm parameters or Kustomize images (or, for
  a plain directory, an image override of the rendered workloads); ``git``
  commits the same override to the source repository.

Pure parts (references, tag lists, strategies, annotation parsing) import no
client; the registry client, the write-back and the cycle are services.
"""
