"""Typed errors of the repo service.

Every failure the controller may turn into an Application condition has its own
class, so callers can react (retry an unreachable host, report a bad file)
without parsing messages. Messages name the file and line, or quote the
git/helm/kustomize output, and never carry credentials: every message passes
through :func:`argosy.repo.redact.redact` before it reaches an exception.
"""

from __future__ import annotations


class RepoError(Exception):
    """Base class: rendering or fetching a source failed."""

    code = "RepoError"


class ToolNotFoundError(RepoError):
    """helm, kustomize or git is not installed where Argosy looks for it."""

    code = "ToolNotFound"


class CommandTimeoutError(RepoError):
    """A git/helm/kustomize process ran past its timeout and was killed."""

    code = "Timeout"


class StorageError(RepoError):
    """The repo server's own disk (working copies, ``--cache-dir``) could not be used."""

    code = "StorageError"


class OutputTooLargeError(RepoError):
    """A process wrote more than the output cap; it was killed."""

    code = "OutputTooLarge"


class GitError(RepoError):
    """git failed for a reason other than the more specific classes below."""

    code = "GitError"


class AuthenticationError(GitError):
    """The repository refused the credentials (or needs some and got none)."""

    code = "AuthenticationFailed"


class UnreachableError(GitError):
    """The repository host could not be reached (DNS, refused connection, TLS)."""

    code = "Unreachable"


class RevisionNotFoundError(RepoError):
    """targetRevision names no branch, tag or commit of the repository (or chart version)."""

    code = "RevisionNotFound"


class InvalidSourceError(RepoError):
    """The Application source is malformed (missing repoURL, bad ref, unknown tool)."""

    code = "InvalidSource"


class PathNotFoundError(RepoError):
    """The source path does not exist at the resolved revision."""

    code = "PathNotFound"


class PathEscapeError(RepoError):
    """A path leaves the repository root through ``..``, an absolute path or a symlink."""

    code = "PathEscape"


class RemoteValueFileError(RepoError):
    """A Helm value file is a URL and the project does not allow remote value files."""

    code = "RemoteValueFileNotAllowed"


class ManifestParseError(RepoError):
    """A manifest file is not valid YAML/JSON; the message names file and line."""

    code = "ManifestParseError"

    def __init__(self, message: str, file: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.line = line


class RenderError(RepoError):
    """helm template or kustomize build failed; the message quotes the tool."""

    code = "RenderError"


class DecryptionError(RepoError):
    """A SOPS-encrypted file or object could not be decrypted (no key, bad MAC, bad file)."""

    code = "DecryptionError"


class HelmRepoError(RepoError):
    """A Helm chart repository (index.yaml, chart archive or OCI registry) failed."""

    code = "HelmRepoError"


class UrlNotAllowedError(RepoError):
    """A repository URL points where Argosy may not fetch from (loopback, metadata, a local path)."""

    code = "UrlNotAllowed"


ERROR_CLASSES: dict[str, type[RepoError]] = {
    cls.code: cls
    for cls in (
        RepoError,
        ToolNotFoundError,
        CommandTimeoutError,
        StorageError,
        OutputTooLargeError,
        GitError,
        AuthenticationError,
        UnreachableError,
        RevisionNotFoundError,
        InvalidSourceError,
        PathNotFoundError,
        PathEscapeError,
        RemoteValueFileError,
        ManifestParseError,
        RenderError,
        HelmRepoError,
        DecryptionError,
        UrlNotAllowedError,
    )
}


def error_from_code(code: str, message: str) -> RepoError:
    """Rebuild a typed error sent over the wire by the repo server."""
    return ERROR_CLASSES.get(code, RepoError)(message)
