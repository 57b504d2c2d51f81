"""Issue #15 item 4: PayKKa's payment from a Google Pay token, merchant-unsealed or as
token_data. Tokens are sealed by the tests' own sealer (tests/googlepay_support.py) and
unsealed by googlepay_crypto's Recipient, so each body comes from a fully checked token."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from googlepay_support import NOW, Sealer, payment_message
from hypothesis import given, settings
from hypothesis import strategies as st

from googlepay_crypto import Recipient
from paykka_sign import (
    PaykkaSignError,
    paykka_googlepay_decrypted_payment,
    paykka_googlepay_token_payment,
    paykka_payment_request,
)

MERCHANT = ec.generate_private_key(ec.SECP256R1())
SEALER = Sealer.generated()
RECIPIENT: Recipient = SEALER.recipient(MERCHANT)


def _token(*, network_token: bool) -> str:
    return SEALER.seal(payment_message(network_token=network_token), MERCHANT.public_key())


def _unsealed(*, network_token: bool) -> Any:
    return RECIPIENT.unseal(_token(network_token=network_token), now=NOW)


def _code(call: Any) -> str:
    with pytest.raises(PaykkaSignError) as caught:
        call()
    return caught.value.code


def test_a_cryptogram_3ds_token_gives_card_and_token_authentication() -> None:
    payment = paykka_googlepay_decrypted_payment(_unsealed(network_token=True))
    assert payment == {
        "payment_method": "GOOGLE_PAY",
        "card_no": "4111111111111111",
        "exp_month": "12",
        "exp_year": "2030",
        "token_authentication": {
            "cryptogram": "AAAAAA+test+cryptogram=",
            "eci": "05",
            "token_format": "cryptogram_3ds",
        },
    }


def test_a_pan_only_token_is_sent_as_a_card() -> None:
    payment = paykka_googlepay_decrypted_payment(_unsealed(network_token=False))
    assert payment == {
        "payment_method": "GOOGLE_PAY",
        "card_no": "4111111111111111",
        "exp_month": "12",
        "exp_year": "2030",
    }


def test_the_unsealed_token_result_is_accepted_too() -> None:
    unsealed = RECIPIENT.unseal_token(_token(network_token=True), now=NOW)
    assert paykka_googlepay_decrypted_payment(unsealed) == paykka_googlepay_decrypted_payment(
        _unsealed(network_token=True)
    )


def test_the_inferred_fields_can_be_changed() -> None:
    payment = paykka_googlepay_decrypted_payment(
        _unsealed(network_token=True),
        payment_method="GOOGLEPAY",
        fields={"pan": "card_number", "cryptogram": "three_ds.cavv"},
        token_format=None,
    )
    assert payment == {
        "payment_method": "GOOGLEPAY",
        "card_number": "4111111111111111",
        "three_ds": {"cavv": "AAAAAA+test+cryptogram="},
    }


def test_the_payment_goes_in_paykkas_request_as_the_apple_pay_one() -> None:
    body = paykka_payment_request(
        paykka_googlepay_decrypted_payment(_unsealed(network_token=False)),
        merchant_id="18356675194960",
        trans_id="order-7",
        amount=1250,
        currency="EUR",
    )
    assert body["payment"]["payment_method"] == "GOOGLE_PAY"
    assert (body["amount"], body["currency"], body["trans_id"]) == (1250, "EUR", "order-7")


def test_a_token_for_another_gateway_merchant_is_refused() -> None:
    unsealed = _unsealed(network_token=True)
    assert paykka_googlepay_decrypted_payment(unsealed, gateway_merchant_id="merchant-1")
    code = _code(
        lambda: paykka_googlepay_decrypted_payment(unsealed, gateway_merchant_id="merchant-2")
    )
    assert code == "recipient_mismatch"


def test_a_message_that_is_not_a_payment_is_unsupported() -> None:
    signing_only = Sealer.generated(protocol_version="ECv2SigningOnly")
    text = json.dumps({"messageExpiration": "1767229200000", "callback": "wallet"})
    unsealed = signing_only.recipient().unseal_token(signing_only.seal(text), now=NOW)
    assert _code(lambda: paykka_googlepay_decrypted_payment(unsealed)) == "unsupported_token"


@pytest.mark.parametrize(
    "options",
    [
        {"fields": {"pan": ""}},
        {"fields": {"cvv": "cvv"}},
        {"fields": {"pan": "card_no", "cryptogram": "card_no"}},
        {"fields": {"pan": "a", "cryptogram": "a.b"}},
        {"fields": ["pan"]},
        {"payment_method": ""},
        {"gateway_merchant_id": 7},
    ],
)
def test_bad_options_are_invalid_arguments(options: dict[str, Any]) -> None:
    unsealed = _unsealed(network_token=True)
    code = _code(lambda: paykka_googlepay_decrypted_payment(unsealed, **options))
    assert code == "invalid_argument"


@pytest.mark.parametrize("value", [None, "token", b"{}", {"pan": "4111111111111111"}, 7])
def test_anything_but_an_unsealed_payment_is_an_invalid_argument(value: Any) -> None:
    assert _code(lambda: paykka_googlepay_decrypted_payment(value)) == "invalid_argument"


def test_token_data_is_the_sealed_token_as_json_or_base64() -> None:
    token = _token(network_token=True)
    as_json = paykka_googlepay_token_payment(token)
    assert as_json["payment_method"] == "GOOGLE_PAY"
    assert json.loads(as_json["token_data"]) == json.loads(token)
    as_b64 = paykka_googlepay_token_payment(token.encode(), encoding="base64")
    assert json.loads(base64.b64decode(as_b64["token_data"])) == json.loads(token)
    assert paykka_googlepay_token_payment(json.loads(token)) == as_json
    # What PayKKa gets still unseals: the signatures cover the strings, not the spacing.
    assert RECIPIENT.unseal(as_json["token_data"], now=NOW).pan == "4111111111111111"


def test_a_signing_only_token_is_never_sent_as_token_data() -> None:
    signing_only = Sealer.generated(protocol_version="ECv2SigningOnly")
    token = signing_only.seal(payment_message())
    assert _code(lambda: paykka_googlepay_token_payment(token)) == "unsupported_token"


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=64),
        st.text(max_size=64),
        st.dictionaries(
            st.text(max_size=8), st.recursive(st.none() | st.text(max_size=8), st.lists)
        ),
        st.integers(),
    ),
    st.sampled_from(["json", "base64", "hex"]),
)
def test_any_token_data_input_gives_a_package_error_or_a_body(value: Any, encoding: Any) -> None:
    try:
        payment = paykka_googlepay_token_payment(value, encoding=encoding)
    except PaykkaSignError as error:
        assert error.code in {"invalid_argument", "unsupported_token", "malformed_body"}
    else:
        assert set(payment) == {"payment_method", "token_data"}
