"""RFC 7512 PKCS#11 URIs (issue #12, part 3 in the library): what they name, and that a PIN
never rides in one. Needs no token and no python-pkcs11."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from applepay_crypto.errors import ConfigurationError
from applepay_crypto.keys.pkcs11 import Pkcs11Uri, parse_pkcs11_uri


def test_the_issue_s_example() -> None:
    uri = "pkcs11:token=merchant;object=apple-pay-2026;pin-source=file:/run/secrets/pin"
    assert parse_pkcs11_uri(uri) == Pkcs11Uri(
        "merchant", "apple-pay-2026", None, "/run/secrets/pin", None
    )


def test_rfc_7512_query_attributes() -> None:
    uri = (
        "pkcs11:token=My%20HSM;id=%01%ff;type=private"
        "?pin-source=file:///run/pin&module-path=/usr/lib/softhsm/libsofthsm2.so"
    )
    assert parse_pkcs11_uri(uri) == Pkcs11Uri(
        "My HSM", None, b"\x01\xff", "/run/pin", "/usr/lib/softhsm/libsofthsm2.so"
    )


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("pkcs11:token=t;object=k;pin-value=1234", "pin-value"),
        ("pkcs11:token=t;object=k?pin-value=1234", "pin-value"),
        ("file:key.pem", "starts with 'pkcs11:'"),
        ("pkcs11:object=k", "token="),
        ("pkcs11:token=t", "object=<label> or id="),
        ("pkcs11:token=t;object=k;type=public", "type=private"),
        ("pkcs11:token=t;object=k;object=j", "twice"),
        ("pkcs11:token=t;object=k;slot-id=1", "not supported"),
        ("pkcs11:token=t;object=%ff", "UTF-8"),
        ("pkcs11:token=t;object", "no value"),
    ],
)
def test_refused(uri: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        parse_pkcs11_uri(uri)
    assert "1234" not in caught.value.message


labels = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    token=labels, label=st.none() | labels, key_id=st.none() | st.binary(min_size=1, max_size=32)
)
def test_percent_encoded_values_round_trip(token: str, label: str | None, key_id: bytes | None):
    if label is None and key_id is None:
        key_id = b"\x00"
    uri = "pkcs11:token=" + quote(token, safe="")
    if label is not None:
        uri += ";object=" + quote(label, safe="")
    if key_id is not None:
        uri += ";id=" + quote(key_id, safe="")
    parsed = parse_pkcs11_uri(uri)
    assert (parsed.token, parsed.object, parsed.id) == (token, label, key_id)
