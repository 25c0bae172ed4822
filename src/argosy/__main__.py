"""Allow ``python -m argosy`` where the console script is not on PATH."""

from argosy.cli.main import main

main()
