"""A spec field pointing at a Secret key: one lookup, errors that name the Secret, key and field."""

from __future__ import annotations

import base64

import pytest

from argosy.settings.secrets import SecretDataError, secret_key

SECRET = {"data": {"token": base64.b64encode(b"s3cr3t-value").decode()}, "stringData": {"plain": "p"}}


def test_the_value_of_the_key_is_returned_as_text() -> None:
    assert secret_key(SECRET, "scm", "token") == "s3cr3t-value"
    assert secret_key(SECRET, "scm", "plain") == "p"


@pytest.mark.parametrize(
    ("secret", "key", "expected"),
    [
        (None, "token", "Secret 'scm' (tokenRef) does not exist"),
        (SECRET, "missing", "Secret 'scm' has no key 'missing' (tokenRef.key)"),
        ({"data": {"token": "%%%"}}, "token", "Secret 'scm' key 'token': not valid base64"),
    ],
)
def test_a_broken_reference_names_secret_key_and_field_never_a_value(
    secret: dict[str, object] | None, key: str, expected: str
) -> None:
    with pytest.raises(SecretDataError) as caught:
        secret_key(secret, "scm", key, field="tokenRef")
    assert expected in str(caught.value)
    assert "s3cr3t" not in str(caught.value)
