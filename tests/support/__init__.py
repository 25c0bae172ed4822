"""Real servers the test suite starts on loopback, and builders for Argo CD objects.

* ``git_server.GitHttpServer``: ``git http-backend`` over HTTP(S), basic auth, public/private repos;
* ``ssh_server.SshServer``: sshd with key auth and a generated host key;
* ``helm_repo.HelmRepoServer``: a chart repository (``helm package`` + ``helm repo index``);
* ``oci_registry.OciRegistry``: docker-registry for OCI Helm charts;
* ``gitrepo.GitRepo``: create commits, tags and move branches in a served repository;
* ``secrets``: repository Secrets, cert/known-hosts ConfigMaps and Applications as dicts.
"""
