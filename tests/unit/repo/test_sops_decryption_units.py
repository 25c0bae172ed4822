"""SOPS files encrypted by the real sops binary (fixtures) open exactly as ``sops decrypt`` opens them.

The fixtures in ``sops_fixtures/`` were encrypted with sops v3.13.3 and the
test-only age keys beside them; each ``*.clear`` file is what ``sops decrypt``
printed for it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from argosy.repo.errors import DecryptionError
from argosy.repo.sops import goyaml, shamir
from argosy.repo.sops.decrypt import MAX_FILE_BYTES, Decryptor
from argosy.repo.sops.formats import format_for_path, looks_encrypted
from argosy.repo.sops.keys import Key, KeyMaterial

FIXTURES = Path(__file__).parent / "sops_fixtures"
ENCRYPTED = sorted(p.name for p in FIXTURES.glob("*.enc.*") if p.suffix != ".clear")


def keys(*names: str) -> KeyMaterial:
    return KeyMaterial([Key("age", f"test/{n}", (FIXTURES / n).read_text()) for n in names])


def open_file(name: str, data: bytes | None = None, material: KeyMaterial | None = None) -> bytes:
    with Decryptor(material if material is not None else keys("age.key", "age3.key")) as dec:
        raw = (FIXTURES / name).read_bytes() if data is None else data
        return dec.open_bytes(raw, name, format_for_path(name)).plaintext()


@pytest.mark.parametrize("name", ENCRYPTED)
def test_every_format_decrypts_to_what_sops_decrypt_writes(name: str) -> None:
    assert looks_encrypted((FIXTURES / name).read_bytes())
    assert open_file(name) == (FIXTURES / f"{name}.clear").read_bytes()


def test_values_keep_their_go_types_and_clear_keys_stay_clear() -> None:
    with Decryptor(keys("age.key")) as dec:
        opened = dec.open_bytes((FIXTURES / "secret.enc.yaml").read_bytes(), "s", "yaml")
    data = opened.branches[0]["stringData"]
    assert data == {
        "password": "s3cr3t-value",
        "port": 5432,
        "ratio": 1.5,
        "enabled": True,
        "hosts": ["a.example", "b.example"],
        "empty": "",
        "when": "2024-01-01T00:00:00Z",
        "octal": 493,
    }
    assert opened.metadata.encrypted_regex == "^(data|stringData)$"


def test_a_changed_clear_value_fails_the_mac_naming_the_file() -> None:
    text = (FIXTURES / "secret.enc.yaml").read_text().replace("name: db", "name: other", 1)
    with pytest.raises(DecryptionError, match=r"secret\.enc\.yaml: cannot decrypt: MAC mismatch"):
        open_file("secret.enc.yaml", text.encode())


def test_mac_only_encrypted_lets_clear_values_change() -> None:
    text = (FIXTURES / "maconly.enc.yaml").read_text().replace("b: clear", "b: changed")
    assert open_file("maconly.enc.yaml", text.encode()) == b"a: hide-me\nb: changed\n"


def test_an_encrypted_value_moved_to_another_key_does_not_decrypt() -> None:
    text = (FIXTURES / "full.enc.yaml").read_text()
    user = re.search(r"^user: (ENC\[.*\])$", text, re.M)
    password = re.search(r"^password: (ENC\[.*\])$", text, re.M)
    assert user and password
    swapped = (
        text.replace(user.group(1), "@USER@")
        .replace(password.group(1), user.group(1))
        .replace("@USER@", password.group(1))
    )
    with pytest.raises(DecryptionError, match="value at user does not decrypt"):
        open_file("full.enc.yaml", swapped.encode())


def test_a_wrong_key_names_the_recipients_and_the_keys_tried() -> None:
    with pytest.raises(DecryptionError) as err:
        open_file("secret.enc.yaml", material=keys("age2.key"))
    message = str(err.value)
    recipient = re.search(r"public key: (age1\w+)", (FIXTURES / "age.key").read_text())
    assert recipient and recipient.group(1) in message
    assert "secret.enc.yaml: cannot decrypt: no configured key opens it" in message
    assert "age key from test/age2.key" in message


def test_no_key_at_all_says_how_to_configure_one() -> None:
    with pytest.raises(DecryptionError, match=r"no SOPS key is configured.*sops\.keySecrets"):
        open_file("secret.enc.yaml", material=KeyMaterial())


def test_a_truncated_file_is_refused() -> None:
    data = (FIXTURES / "secret.enc.yaml").read_bytes()
    with pytest.raises(DecryptionError, match=r"secret\.enc\.yaml: cannot decrypt: .*truncated"):
        open_file("secret.enc.yaml", data[: len(data) // 2])


def test_a_kms_only_file_names_the_missing_provider() -> None:
    text = (FIXTURES / "full.enc.yaml").read_text()
    head, _, rest = text.partition("    age:\n")
    kms = (
        "    kms:\n        - arn: arn:aws:kms:eu-west-1:1:key/abc\n"
        "          enc: AQICAH\n          created_at: x\n"
    )
    tail = rest[rest.index("    lastmodified") :]
    with pytest.raises(DecryptionError, match="encrypted only for AWS KMS, which Argosy does not support"):
        open_file("full.enc.yaml", (head + kms + tail).encode())


@pytest.mark.parametrize(
    ("names", "opens"),
    [(("age.key",), False), (("age.key", "age3.key"), True), (("age2.key", "age3.key"), True)],
)
def test_shamir_key_groups_need_the_threshold(names: tuple[str, ...], opens: bool) -> None:
    if opens:
        assert open_file("shamir.enc.yaml", material=keys(*names)) == b"a: shared-secret\n"
    else:
        with pytest.raises(DecryptionError, match="2 of 3 key group"):
            open_file("shamir.enc.yaml", material=keys(*names))


def test_shamir_combine_rejects_duplicate_shares() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        shamir.combine([b"ab\x01", b"cd\x01"])


def test_files_over_5_mib_are_refused() -> None:
    with pytest.raises(DecryptionError, match="larger than"):
        open_file("big.enc.yaml", b"a" * (MAX_FILE_BYTES + 1))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),
        ("on", "on"),
        ("true", True),
        ("0755", 493),
        ("0o17", 15),
        ("0x1F", 31),
        ("1_000", 1000),
        ("1.0", 1.0),
        ("2024-01-01", "2024-01-01T00:00:00Z"),
        ("~", None),
        ("1.2.3", "1.2.3"),
    ],
)
def test_plain_scalars_resolve_as_go_yaml_v3_does(text: str, value: object) -> None:
    assert goyaml.load_all(f"k: {text}\n") == [{"k": value}]
