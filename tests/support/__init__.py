"""Real servers the test suite starts on loopback: Git smart-HTTP, sshd, a Helm chart repository.

Each is a context manager with helpers to create repositories, commit files
and move branches, so repo-server, controller and webhook tests share them.
"""
