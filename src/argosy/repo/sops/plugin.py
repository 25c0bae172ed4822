"""The KSOPS generator as a kustomize plugin run by Argosy (never installed by users).

Kustomize has exactly one way to take a generator's output with generator
semantics (name hash suffix, merge/replace behaviours): a plugin. For a
kustomization with KSOPS generators the repo server therefore runs
``kustomize build --enable-alpha-plugins`` - but **not** ``--enable-exec`` -
with ``KUSTOMIZE_PLUGIN_HOME`` set to a private directory that holds only this
program under ``viaduct.ai/<version>/ksops/ksops``, and a ``PATH`` without any
container runtime. So no other plugin, exec function or container function
can run, and a repository cannot name a program of its own.

Kustomize calls ``ksops <config file>`` in the kustomization's directory; this
module decrypts with the keys in the file named by ``$ARGOSY_SOPS_KEYS`` (a
private 0600 file the repo server removes after the build), keeps every path
inside ``$ARGOSY_SOPS_ROOT`` and prints the generated objects. Errors go to
stderr prefixed with ``argosy-sops:`` so the repo server can report them as
decryption errors.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import yaml

from argosy.engine import yamlbounds
from argosy.repo.errors import RepoError
from argosy.repo.sops import goyaml, ksops
from argosy.repo.sops.decrypt import Decryptor
from argosy.repo.sops.keys import KeyMaterial

ERROR_PREFIX = "argosy-sops: "


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write(ERROR_PREFIX + "usage: ksops CONFIG_FILE\n")
        return 2
    root = Path(os.environ.get("ARGOSY_SOPS_ROOT") or Path.cwd())
    try:
        material = KeyMaterial.from_dict(json.loads(Path(os.environ["ARGOSY_SOPS_KEYS"]).read_text()))
        config = yamlbounds.load(Path(argv[1]).read_text(encoding="utf-8")) or {}
        with Decryptor(material) as dec:
            objects = ksops.generate(config, Path.cwd(), root, dec)
    except (RepoError, OSError, KeyError, ValueError, yaml.YAMLError) as exc:
        sys.stderr.write(ERROR_PREFIX + str(exc).replace("\n", " ") + "\n")
        return 1
    sys.stdout.write(goyaml.dump(objects))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
