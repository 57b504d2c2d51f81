"""Masking by allow-list (review #11, class 4): no surface shows a value that is not known to
be safe, unless asked to reveal.

The review found ``authenticationResponses[].authenticationData`` (a per-merchant
cryptogram) in ``masked_dict()``, ``to_json_dict()`` and ``decrypt --json``: the mask was a
list of secrets, and anything not on it was shown. The property generates the whole class:
payloads with secret-looking marker values planted in every position the allow-list does
not name — the known secrets, every authenticationData, unknown fields at any depth
(nested objects, lists of lists, in authenticationResponses items, inside paymentData),
merchantTokenMetadata, and allow-listed fields given a container instead of a scalar —
minted into tokens and run through the library's renderings and every decrypting command
of both CLIs. No marker may appear; with reveal, every marker does (the model keeps every
field, and the search can find what it looks for).
"""

from __future__ import annotations

import json
from typing import Any

from fuzz_support import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st
from surfaces_support import Surfaces, library_outputs

from applepay_crypto.masking import PAYMENT_DATA, REDACTED, each, fields, show
from applepay_crypto.testing import luhn_check_digit, sample_payload
from paykka_sign.applepay_requests import mask_request, mask_yabandpay_request


class Planter:
    """Hands out distinctive markers (ASCII letters and digits, so no JSON escaping can
    hide one from the search) and remembers them."""

    def __init__(self) -> None:
        self.markers: list[str] = []

    def text(self) -> str:
        marker = f"ZQ{len(self.markers):04d}SECRETQZ"
        self.markers.append(marker)
        return marker

    def number(self) -> int:
        marker = 7_390_000_000_000_000 + 7919 * len(self.markers)
        self.markers.append(str(marker))
        return marker


#: The shape of a hidden value: a text or number marker, or lists and objects of them
#: (an object's keys are markers too: nothing inside an unknown value may show).
shapes = st.recursive(
    st.sampled_from(["text", "number"]),
    lambda children: st.tuples(
        st.sampled_from(["list", "object"]), st.lists(children, min_size=1, max_size=3)
    ),
    max_leaves=6,
)


def grow(shape: Any, planter: Planter) -> Any:
    if shape == "text":
        return planter.text()
    if shape == "number":
        return planter.number()
    kind, items = shape
    if kind == "list":
        return [grow(item, planter) for item in items]
    return {planter.text(): grow(item, planter) for item in items}


@st.composite
def hidden(draw: st.DrawFn, planter: Planter, *, container: bool = False) -> Any:
    """A hidden value; ``container``: a list or object, for a field the allow-list shows
    only as a scalar."""
    value = grow(draw(shapes), planter)
    if container and not isinstance(value, list | dict):
        value = [value] if draw(st.booleans()) else {planter.text(): value}
    return value


@st.composite
def unknown_fields(draw: st.DrawFn, planter: Planter, prefix: str) -> dict[str, Any]:
    """Fields no rule names (their names are shown, as Apple's names: not markers)."""
    count = draw(st.integers(0, 2))
    return {f"{prefix}{index}": draw(hidden(planter)) for index in range(count)}


@st.composite
def planted_payloads(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """A payload that from_json accepts, markers in every non-allow-listed position."""
    planter = Planter()
    body = "400009" + "".join(
        str(d) for d in draw(st.lists(st.integers(0, 9), min_size=9, max_size=9))
    )
    pan = body + luhn_check_digit(body)
    planter.markers.append(pan[6:-4])  # the digits a mask hides
    payload = sample_payload(pan=pan, merchantTokenIdentifier="DNITHE302204193521431999")
    if draw(st.booleans()):
        inner: dict[str, Any] = {"onlinePaymentCryptogram": planter.text()}
        eci = draw(st.sampled_from(["plain", "absent", "container"]))
        if eci == "plain":
            inner["eciIndicator"] = "05"
        elif eci == "container":  # allow-listed as a scalar only
            inner["eciIndicator"] = draw(hidden(planter, container=True))
    else:
        payload["paymentDataType"] = "EMV"
        inner = {"emvData": planter.text(), "encryptedPINData": planter.text()}
    inner.update(draw(unknown_fields(planter, "innerFuture")))
    payload["paymentData"] = inner
    responses = []
    for index in range(draw(st.integers(0, 3))):
        response: dict[str, Any] = {
            "merchantIdentifier": f"merchant.com.example.{index}",
            "authenticationData": draw(hidden(planter)),
            "transactionAmount": 100 * index,
        }
        for name in ("merchantIdentifier", "transactionAmount"):
            if draw(st.integers(0, 4)) == 0:
                response[name] = draw(hidden(planter, container=True))
        response.update(draw(unknown_fields(planter, "responseFuture")))
        responses.append(response)
    if responses or draw(st.booleans()):
        payload["authenticationResponses"] = responses
    if draw(st.booleans()):
        payload["merchantTokenMetadata"] = {"cardArt": draw(hidden(planter))}
    payload.update(draw(unknown_fields(planter, "future")))
    return payload, planter.markers


def found(text: str, markers: list[str]) -> list[str]:
    return [marker for marker in markers if marker in text]


@fuzz_settings(20)
@given(planted=planted_payloads(), paykka=st.sampled_from(["v1.2", "v3", "token_data"]))
def test_no_surface_shows_what_is_not_allow_listed(
    planted: tuple[dict[str, Any], list[str]], paykka: str, surfaces: Surfaces
) -> None:
    payload, markers = planted
    token = surfaces.mint(payload)
    result = surfaces.decrypt(token)
    for label, text in library_outputs(result):
        assert not found(text, markers), f"{label} shows {found(text, markers)}"
    revealed = json.dumps(result.to_json_dict(reveal=True))
    assert found(revealed, markers) == markers, "reveal=True must show every field"
    assert json.loads(result.payment_data.raw_json) == payload  # the model keeps them all

    surfaces.write(token)
    for label, outcome in surfaces.run(paykka=paykka):
        assert not found(outcome.output, markers), f"{label} shows {found(outcome.output, markers)}"
        if label.startswith(("decrypt", "doctor")):
            assert outcome.exit_code == 0, f"{label}: {outcome.output}"
    for label, outcome in surfaces.run(reveal=True, only=("decrypt --json", "decrypt-batch")):
        assert found(outcome.output, markers) == markers, f"{label} --reveal"


# --- the allow-list itself: exact outcomes -----------------------------------------------


def test_masked_dict_of_a_multi_merchant_payload() -> None:
    payload = sample_payload(
        pan="4111111111111111",
        cryptogram="Q1JZUFRPR1JBTQ==",
        eci="05",
        cardholder_name="Jane Appleseed",
        merchantTokenIdentifier="DNITHE302204193521431999",
        merchantTokenMetadata={"cardMetadata": {"paymentDescription": "Visa 1111"}},
        authenticationResponses=[
            {
                "merchantIdentifier": "merchant.com.example.a",
                "authenticationData": "AAECAwQFBgcICQ==",
                "transactionAmount": 600,
                "futureDetail": {"x": 1},
            },
            {"merchantIdentifier": ["not", "a", "string"], "transactionAmount": 400},
        ],
        futureField=[["nested", "lists"]],
    )
    payload["paymentData"]["futureInner"] = "x"
    assert PAYMENT_DATA(payload) == {
        "applicationPrimaryAccountNumber": "411111******1111",
        "applicationExpirationDate": "291231",
        "currencyCode": "978",
        "transactionAmount": 1000,
        "cardholderName": "Jane Appleseed",
        "deviceManufacturerIdentifier": "040010030273",
        "paymentDataType": "3DSecure",
        "paymentData": {
            "onlinePaymentCryptogram": REDACTED,
            "eciIndicator": "05",
            "futureInner": REDACTED,
        },
        "merchantTokenIdentifier": "DNITHE302204193521431999",
        "merchantTokenMetadata": REDACTED,
        "authenticationResponses": [
            {
                "merchantIdentifier": "merchant.com.example.a",
                "authenticationData": REDACTED,
                "transactionAmount": 600,
                "futureDetail": REDACTED,
            },
            {"merchantIdentifier": REDACTED, "transactionAmount": 400},
        ],
        "futureField": REDACTED,
    }


def test_rules_redact_every_shape_they_do_not_expect() -> None:
    rule = fields({"a": show, "b": each(fields({"c": show}))})
    assert rule({"a": 1, "b": [{"c": "x", "d": "y"}, "z"]}) == {
        "a": 1,
        "b": [{"c": "x", "d": REDACTED}, REDACTED],
    }
    assert rule([1]) == REDACTED and rule("text") == REDACTED
    assert rule({"a": {"b": 1}, "b": {"c": 1}}) == {"a": REDACTED, "b": REDACTED}
    assert show(None) is None and show(True) is True and show(1.5) == 1.5


def test_paykka_request_mask_is_an_allow_list() -> None:
    body = {
        "merchant_id": "M1",
        "payment_type": "PURCHASE",
        "trans_id": "order-1",
        "amount": 1000,
        "currency": "EUR",
        "timestamp": 1700000000000,
        "notify_url": "https://shop.example/notify",
        "shopper_email": "jane@example.com",
        "payment": {
            "payment_method": "APPLE_PAY",
            "card_no": "4111111111111111",
            "exp_year": "2029",
            "exp_month": "12",
            "holder_name": "Jane Appleseed",
            "token_authentication": {
                "cryptogram": "Q1JZUFRPR1JBTQ==",
                "token_format": "cryptogram_3ds",
                "eci": "05",
                "future": "x",
            },
            "future": {"y": 1},
        },
    }
    assert mask_request(body) == {
        **body,
        "shopper_email": REDACTED,
        "payment": {
            **body["payment"],
            "card_no": "411111******1111",
            "token_authentication": {
                "cryptogram": REDACTED,
                "token_format": "cryptogram_3ds",
                "eci": "05",
                "future": REDACTED,
            },
            "future": REDACTED,
        },
    }


def test_yabandpay_request_mask_is_an_allow_list() -> None:
    request = {
        "user": "016683",
        "sign": "ab" * 32,
        "method": "v3.ApplePay",
        "time": 1721987969,
        "data": {"order_id": "o1", "payment_token_object": "eyJ9", "shopper": "Jane"},
        "extra": "x",
    }
    assert mask_yabandpay_request(request) == {
        **request,
        "data": {"order_id": "o1", "payment_token_object": "eyJ9", "shopper": REDACTED},
        "extra": REDACTED,
    }
