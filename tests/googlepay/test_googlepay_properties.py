"""Properties of the recipient, over tokens sealed by tests/googlepay_support.Sealer:

- a change of any character of signedMessage, signedKey, either signature, or any byte of
  the tag or ciphertext (re-signed, so the decryption is reached) is refused, with the code
  of the check it breaks;
- any token text or bytes end in a GooglePayError, never another exception;
- key rotation: a token to either of two merchant keys opens, to neither is tag_mismatch;
- the expiry boundary is Tink's: expired when ``expiration <= now``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from googlepay_support import DAY_MS, NOW, NOW_MS, Sealer, encrypt, payment_message
from hypothesis import given, settings
from hypothesis import strategies as st

from applepay_crypto.errors import HsmPinError
from googlepay_crypto import (
    CardPaymentData,
    ConfigurationError,
    GooglePayError,
    KeyOperationError,
    NetworkTokenPaymentData,
    Recipient,
)
from googlepay_crypto.keys import InProcessKeyAgreement

MERCHANT = ec.generate_private_key(ec.SECP256R1())
SEALERS = {v: Sealer.generated(protocol_version=v) for v in ("ECv1", "ECv2", "ECv2SigningOnly")}
MESSAGE = payment_message()
TOKENS = {
    v: s.seal(MESSAGE, None if v == "ECv2SigningOnly" else MERCHANT.public_key())
    for v, s in SEALERS.items()
}
RECIPIENTS = {v: s.recipient(MERCHANT) for v, s in SEALERS.items()}
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, database=None)

#: Replacement characters: ASCII, a JSON-significant one, non-ASCII (no lone surrogates,
#: which are not text and are refused as invalid_json before any signature).
replacements = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from(['"', "\\", "\u00e9", "\u20ac", "\U0001f600", "\x00"]),
)


def _change(text: str, index: int, char: str) -> str | None:
    index %= len(text)
    if text[index] == char:
        return None
    return text[:index] + char + text[index + 1 :]


def _refused(version: str, token: dict[str, Any]) -> str:
    with pytest.raises(GooglePayError) as caught:
        RECIPIENTS[version].unseal_plaintext(json.dumps(token), now=NOW)
    return caught.value.code


def test_the_sealed_tokens_open() -> None:
    for version, token in TOKENS.items():
        assert RECIPIENTS[version].unseal_plaintext(token, now=NOW) == MESSAGE
        payment = RECIPIENTS[version].unseal(token, now=NOW)
        assert isinstance(payment, CardPaymentData)
        assert payment.pan == "4111111111111111"


@pytest.mark.parametrize("version", sorted(TOKENS))
@PROPERTY
@given(index=st.integers(min_value=0), char=replacements)
def test_any_change_of_signed_message_is_signature_invalid(
    version: str, index: int, char: str
) -> None:
    token = json.loads(TOKENS[version])
    changed = _change(token["signedMessage"], index, char)
    if changed is None:
        return
    token["signedMessage"] = changed
    assert _refused(version, token) == "signature_invalid"


@pytest.mark.parametrize("version", sorted(TOKENS))
@PROPERTY
@given(index=st.integers(min_value=0), char=replacements)
def test_any_change_of_the_message_signature_is_signature_invalid(
    version: str, index: int, char: str
) -> None:
    token = json.loads(TOKENS[version])
    changed = _change(token["signature"], index, char)
    if changed is None:
        return
    token["signature"] = changed
    assert _refused(version, token) == "signature_invalid"


@pytest.mark.parametrize("version", ["ECv2", "ECv2SigningOnly"])
@PROPERTY
@given(index=st.integers(min_value=0), char=replacements)
def test_any_change_of_signed_key_is_intermediate_signature_invalid(
    version: str, index: int, char: str
) -> None:
    token = json.loads(TOKENS[version])
    intermediate = token["intermediateSigningKey"]
    changed = _change(intermediate["signedKey"], index, char)
    if changed is None:
        return
    intermediate["signedKey"] = changed
    assert _refused(version, token) == "intermediate_signature_invalid"


@pytest.mark.parametrize("version", ["ECv2", "ECv2SigningOnly"])
@PROPERTY
@given(index=st.integers(min_value=0), char=replacements)
def test_any_change_of_the_intermediate_signature_is_refused(
    version: str, index: int, char: str
) -> None:
    token = json.loads(TOKENS[version])
    signatures = token["intermediateSigningKey"]["signatures"]
    changed = _change(signatures[0], index, char)
    if changed is None:
        return
    signatures[0] = changed
    assert _refused(version, token) == "intermediate_signature_invalid"


def _resigned_with_changed(version: str, member: str, index: int, flip: int) -> str:
    """The token with one byte of the payload's ``member`` changed and every signature
    made again: only the decryption can notice."""
    sealer = SEALERS[version]
    payload = json.loads(json.loads(TOKENS[version])["signedMessage"])
    data = bytearray(base64.b64decode(payload[member]))
    data[index % len(data)] ^= flip
    payload[member] = base64.b64encode(bytes(data)).decode()
    return sealer.seal_signed_message(json.dumps(payload, separators=(",", ":")))


@pytest.mark.parametrize("version", ["ECv1", "ECv2"])
@pytest.mark.parametrize("member", ["tag", "encryptedMessage"])
@PROPERTY
@given(index=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_byte_change_of_tag_or_ciphertext_is_tag_mismatch(
    version: str, member: str, index: int, flip: int
) -> None:
    token = _resigned_with_changed(version, member, index, flip)
    with pytest.raises(GooglePayError) as caught:
        RECIPIENTS[version].unseal_plaintext(token, now=NOW)
    assert caught.value.code == "tag_mismatch"


@pytest.mark.parametrize("version", ["ECv1", "ECv2"])
def test_a_tag_changed_without_resigning_is_signature_invalid(version: str) -> None:
    """The tag lives inside signedMessage: changed alone, the signature fails first."""
    token = json.loads(TOKENS[version])
    payload = json.loads(token["signedMessage"])
    tag = bytearray(base64.b64decode(payload["tag"]))
    tag[0] ^= 1
    payload["tag"] = base64.b64encode(bytes(tag)).decode()
    token["signedMessage"] = json.dumps(payload)
    assert _refused(version, token) == "signature_invalid"


def _mutations(token: str) -> st.SearchStrategy[bytes]:
    data = token.encode()
    return st.one_of(
        st.builds(
            lambda i, b: data[: i % len(data)] + bytes([b]) + data[i % len(data) + 1 :],
            st.integers(min_value=0),
            st.integers(0, 255),
        ),
        st.builds(lambda i: data[: i % len(data)], st.integers(min_value=0)),
        st.builds(
            lambda i, extra: data[: i % len(data)] + extra + data[i % len(data) :],
            st.integers(min_value=0),
            st.binary(max_size=8),
        ),
    )


@pytest.mark.parametrize("version", sorted(TOKENS))
@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_any_token_bytes_end_in_a_googlepay_error(version: str, data: st.DataObject) -> None:
    value = data.draw(
        st.one_of(
            _mutations(TOKENS[version]),
            st.binary(max_size=64),
            st.text(max_size=64),
            _mutations(TOKENS[version]).map(lambda b: b.decode("utf-8", "surrogateescape")),
        )
    )
    with contextlib.suppress(GooglePayError):
        RECIPIENTS[version].unseal(value, now=NOW)
    with contextlib.suppress(GooglePayError):
        RECIPIENTS[version].verify(value, now=NOW)


# --- key rotation and key holders ------------------------------------------------------


def test_key_rotation_with_two_merchant_keys() -> None:
    old, new = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    sealer = SEALERS["ECv2"]
    recipient = sealer.recipient(new, old)
    for key in (old, new):
        assert (
            recipient.unseal_plaintext(sealer.seal(MESSAGE, key.public_key()), now=NOW) == MESSAGE
        )
    with pytest.raises(GooglePayError) as caught:
        recipient.unseal_plaintext(sealer.seal(MESSAGE, other.public_key()), now=NOW)
    assert caught.value.code == "tag_mismatch"
    assert "any configured merchant key" in caught.value.message


class CountingHolder:
    """A key held elsewhere (an HSM): only ``exchange`` is offered."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self._inner = InProcessKeyAgreement(key)
        self.calls = 0

    def exchange(self, ephemeral_public_key: ec.EllipticCurvePublicKey) -> bytes:
        self.calls += 1
        return self._inner.exchange(ephemeral_public_key)


def test_key_agreement_holders_are_tried_in_order() -> None:
    first = CountingHolder(ec.generate_private_key(ec.SECP256R1()))
    second = CountingHolder(MERCHANT)
    recipient = SEALERS["ECv2"].recipient(first, second)  # type: ignore[arg-type]
    assert recipient.unseal_plaintext(TOKENS["ECv2"], now=NOW) == MESSAGE
    assert (first.calls, second.calls) == (1, 1)


class FailingHolder:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def exchange(self, ephemeral_public_key: ec.EllipticCurvePublicKey) -> bytes:
        raise self.error


@pytest.mark.parametrize(
    "error", [RuntimeError("secret detail"), HsmPinError("the token refused the PIN")]
)
def test_a_failing_holder_is_key_operation_failed(error: Exception) -> None:
    recipient = SEALERS["ECv2"].recipient(FailingHolder(error))  # type: ignore[arg-type]
    with pytest.raises(KeyOperationError) as caught:
        recipient.unseal_plaintext(TOKENS["ECv2"], now=NOW)
    assert caught.value.code == "key_operation_failed"
    assert "secret detail" not in caught.value.message


def test_verify_needs_no_merchant_key_and_unseal_does() -> None:
    recipient = SEALERS["ECv2"].recipient()
    verified = recipient.verify(TOKENS["ECv2"], now=NOW)
    assert verified.message is None
    assert verified.key_expiration == NOW + dt.timedelta(days=1)
    with pytest.raises(ConfigurationError):
        recipient.unseal_plaintext(TOKENS["ECv2"], now=NOW)


def test_signing_only_verify_returns_the_message() -> None:
    verified = RECIPIENTS["ECv2SigningOnly"].verify(TOKENS["ECv2SigningOnly"], now=NOW)
    assert verified.message == MESSAGE


# --- time ------------------------------------------------------------------------------


def _at(ms: int) -> dt.datetime:
    return NOW + dt.timedelta(milliseconds=ms - NOW_MS)


@pytest.mark.parametrize("version", ["ECv2", "ECv2SigningOnly"])
def test_intermediate_key_expiry_boundary(version: str) -> None:
    sealer, recipient = SEALERS[version], RECIPIENTS[version]
    message = payment_message(expiration_ms=NOW_MS + 2 * DAY_MS)
    token = sealer.seal(message, MERCHANT.public_key())
    expiry = sealer.key_expiration_ms
    assert recipient.unseal_plaintext(token, now=_at(expiry - 1)) == message
    for moment in (expiry, expiry + 1):
        with pytest.raises(GooglePayError) as caught:
            recipient.unseal_plaintext(token, now=_at(moment))
        assert caught.value.code == "intermediate_key_expired"


@pytest.mark.parametrize("version", sorted(TOKENS))
def test_message_expiry_boundary_and_the_recipient_clock(version: str) -> None:
    expiry = NOW_MS + 60_000
    message = payment_message(expiration_ms=expiry)
    token = SEALERS[version].seal(message, MERCHANT.public_key())
    recipient = RECIPIENTS[version]
    assert recipient.unseal_plaintext(token, now=_at(expiry - 1)) == message
    with pytest.raises(GooglePayError) as caught:
        recipient.unseal_plaintext(token, now=_at(expiry))
    assert caught.value.code == "message_expired"
    late = SEALERS[version].recipient(MERCHANT, clock=lambda: _at(expiry))
    with pytest.raises(GooglePayError) as caught:
        late.unseal(token)
    assert caught.value.code == "message_expired"
    assert SEALERS[version].recipient(MERCHANT, clock=lambda: _at(expiry - 1)).unseal(token)


def test_network_token_payload() -> None:
    message = payment_message(network_token=True)
    token = SEALERS["ECv2"].seal(message, MERCHANT.public_key())
    payment = RECIPIENTS["ECv2"].unseal(token, now=NOW)
    assert isinstance(payment, NetworkTokenPaymentData)
    assert (payment.cryptogram, payment.eci_indicator) == ("AAAAAA+test+cryptogram=", "05")
    assert "AAAAAA" not in repr(payment) and "4111111111111111" not in repr(payment)


def test_a_naive_now_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        RECIPIENTS["ECv2"].unseal(TOKENS["ECv2"], now=dt.datetime(2026, 1, 1))


@pytest.mark.parametrize(
    "options",
    [
        {"recipient_id": ""},
        {"recipient_id": "merchant:\ud800"},
        {"protocol_version": "ECv3"},
        {"private_keys": [ec.generate_private_key(ec.SECP384R1())]},
        {"private_keys": ["not a key"]},
        {"root_keys": "keys.json"},
    ],
)
def test_bad_configuration(options: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "recipient_id": "merchant:1",
        "root_keys": RECIPIENTS["ECv2"].root_keys,
        **options,
    }
    with pytest.raises(ConfigurationError):
        Recipient(arguments.pop("recipient_id"), **arguments)


def test_ecv1_sizes_differ_from_ecv2() -> None:
    """An ECv2-sized encryption inside an ECv1 token (re-signed) does not open."""
    sealer = SEALERS["ECv1"]
    token = sealer.seal_signed_message(encrypt(MESSAGE, MERCHANT.public_key(), "ECv2"))
    with pytest.raises(GooglePayError) as caught:
        RECIPIENTS["ECv1"].unseal_plaintext(token, now=NOW)
    assert caught.value.code == "tag_mismatch"
