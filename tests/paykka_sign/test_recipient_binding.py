"""review (#11), class 9: PayKKa verifiers are bound to their recipient.

PayKKa signs every merchant's notifications with one platform key, so before the fix a
notification signed for merchant A verified at merchant B's endpoint (v1.2 took the
merchant id from the body), and v3's ``x-paykka-appid`` was never looked at. Now the
verifier is told its merchant id / app id and refuses any other with
``recipient_mismatch``; the property covers every pair of distinct ids and every place the
body can carry one.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paykka_sign import (
    InvalidArgumentError,
    PaykkaV3Signer,
    PaykkaV3Verifier,
    PaykkaV12Signer,
    PaykkaV12Verifier,
    RecipientMismatchError,
    SignatureInvalidError,
)

NOW = dt.datetime(2025, 9, 9, 3, 11, 7, tzinfo=dt.timezone.utc)
_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
_ids = st.one_of(
    st.integers(1, 10**15).map(str),
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="&="),
        min_size=1,
        max_size=20,
    ),
)
_places = st.sampled_from(["top", "data", "both"])


def _body(merchant_id: str, place: str, timestamp: int) -> bytes:
    doc: dict[str, object] = {"timestamp": timestamp, "event": "PAYMENT.SUCCESS"}
    if place in ("top", "both"):
        doc["merchant_id"] = merchant_id
    if place in ("data", "both"):
        doc["data"] = {"merchant_id": merchant_id, "trans_id": "t1"}
    return json.dumps(doc).encode()


@_SETTINGS
@given(sender=_ids, recipient=_ids, place=_places, timestamp=st.integers(0, 10**13))
def test_property_v12_refuses_another_merchants_message(
    rsa_key: rsa.RSAPrivateKey, sender: str, recipient: str, place: str, timestamp: int
) -> None:
    body = _body(sender, place, timestamp)
    # genuine, for `sender`; PayKKa's ids may sit under data: the test escape hatch
    signed = PaykkaV12Signer(rsa_key).sign(body, merchant_id=sender, values_outside_body=True)
    ours = PaykkaV12Verifier(rsa_key.public_key(), merchant_id=sender)
    assert ours.verify(signed.headers, body).merchant_id == sender
    if recipient == sender:
        return
    theirs = PaykkaV12Verifier(rsa_key.public_key(), merchant_id=recipient)
    with pytest.raises(RecipientMismatchError) as info:
        theirs.verify(signed.headers, body)
    assert info.value.code == "recipient_mismatch"


def test_v12_every_merchant_id_field_must_name_the_recipient(rsa_key: rsa.RSAPrivateKey) -> None:
    # Signed over the first present field; a second, different id is what an application
    # reading data.merchant_id would act on.
    body = b'{"merchant_id":"M1","timestamp":1,"data":{"merchant_id":"M2"}}'
    signed = PaykkaV12Signer(rsa_key).sign(body)
    with pytest.raises(RecipientMismatchError):
        PaykkaV12Verifier(rsa_key.public_key(), merchant_id="M1").verify(signed.headers, body)


def test_v12_body_without_id_is_checked_as_signed_for_the_recipient(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    body = b'{"timestamp":1700805506000}'
    signed = PaykkaV12Signer(rsa_key).sign(body, merchant_id="M1", values_outside_body=True)
    PaykkaV12Verifier(rsa_key.public_key(), merchant_id="M1").verify(signed.headers, body)
    with pytest.raises(SignatureInvalidError):
        PaykkaV12Verifier(rsa_key.public_key(), merchant_id="M2").verify(signed.headers, body)


def test_v12_ten_year_old_notification_is_refused_with_a_window(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    body = _body("M1", "top", 1_400_000_000_000)  # 2014
    signed = PaykkaV12Signer(rsa_key).sign(body)
    verifier = PaykkaV12Verifier(
        rsa_key.public_key(), merchant_id="M1", window=dt.timedelta(hours=24), clock=lambda: NOW
    )
    with pytest.raises(Exception) as info:
        verifier.verify(signed.headers, body)
    assert getattr(info.value, "code", None) == "timestamp_out_of_window"


@_SETTINGS
@given(sender=_ids, recipient=_ids)
def test_property_v3_refuses_another_app_id(
    rsa_key: rsa.RSAPrivateKey, sender: str, recipient: str
) -> None:
    signed = PaykkaV3Signer(rsa_key, app_id=sender).sign("POST", "/hooks/paykka", b"{}", now=NOW)
    headers = dict(signed.headers)
    ours = PaykkaV3Verifier(rsa_key.public_key(), app_id=sender, clock=lambda: NOW)
    ours.verify("POST", "/hooks/paykka", headers, b"{}")
    # Responses carry no x-paykka-appid (documented): an absent header is not a mismatch.
    without = {k: v for k, v in headers.items() if k != "x-paykka-appid"}
    PaykkaV3Verifier(rsa_key.public_key(), app_id=recipient, clock=lambda: NOW).verify(
        "POST", "/hooks/paykka", without, b"{}"
    )
    if recipient == sender:
        return
    theirs = PaykkaV3Verifier(rsa_key.public_key(), app_id=recipient, clock=lambda: NOW)
    with pytest.raises(RecipientMismatchError) as info:
        theirs.verify("POST", "/hooks/paykka", headers, b"{}")
    assert info.value.code == "recipient_mismatch"


def test_the_recipient_is_required(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(TypeError):
        PaykkaV12Verifier(rsa_key.public_key())  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        PaykkaV3Verifier(rsa_key.public_key())  # type: ignore[call-arg]
    for bad in ("", "a&b", "a=b", "\ud800"):
        with pytest.raises(InvalidArgumentError):
            PaykkaV12Verifier(rsa_key.public_key(), merchant_id=bad)
    with pytest.raises(InvalidArgumentError):
        PaykkaV3Verifier(rsa_key.public_key(), app_id="")
