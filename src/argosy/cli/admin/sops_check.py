"""``argosy admin sops check PATH``: can Argosy open the SOPS files of this directory?

Lists every SOPS file under PATH (or PATH itself), the key that opens it and
whether its MAC verifies; exits 0 only when every SOPS file opens and
verifies. With ``--age-key-file`` or ``--gpg-home`` (or ``$SOPS_AGE_KEY_FILE``
/ ``$GNUPGHOME``) no cluster is needed; ``--key-secret NAMESPACE/NAME`` reads
a key Secret through the current kubeconfig, as the repo server would get it.
"""

from __future__ import annotations

from pathlib import Path

import typer

from argosy.repo.sops.check import check
from argosy.repo.sops.local import local_keys, read_cluster_secret

sops_app = typer.Typer(help="Offline checks of SOPS-encrypted files.", no_args_is_help=True)

KEY_SECRET = typer.Option([], "--key-secret", help="Key Secret NAMESPACE/NAME (*.agekey, *.asc entries).")
AGE_KEY_FILE = typer.Option([], "--age-key-file", help="age identities file (repeatable).")
GPG_HOME = typer.Option(None, "--gpg-home", help="GnuPG home holding the PGP private keys.")


@sops_app.command("check")
def check_command(
    path: Path = typer.Argument(..., help="Directory (or file) to check."),
    key_secret: list[str] = KEY_SECRET,
    age_key_file: list[Path] = AGE_KEY_FILE,
    gpg_home: str | None = GPG_HOME,
    kubeconfig: str | None = typer.Option(None, "--kubeconfig", help="Kubeconfig for --key-secret."),
) -> None:
    """Report which files are SOPS files, which keys open them and whether their MAC verifies."""
    if not path.exists():
        raise typer.BadParameter(f"{path} does not exist")
    try:
        material = local_keys(key_secret, age_key_file, gpg_home, read_cluster_secret(kubeconfig))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    reports = check(path, material)
    if not reports:
        typer.echo(f"no SOPS files under {path}")
    for r in reports:
        typer.echo(f"{'OK  ' if r.ok else 'FAIL'} {r.path}: {r.detail}")
    failed = sum(1 for r in reports if not r.ok)
    typer.echo(f"{len(reports) - failed} of {len(reports)} SOPS files open and verify", err=True)
    raise typer.Exit(1 if failed else 0)
