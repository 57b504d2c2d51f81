"""The hot path builds its frozen dataclasses with ``_frozen.build``, which applies no
defaults: every constructor must pass exactly the dataclass's fields."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from applepay_crypto import TokenDecryptor, parse_token
from applepay_crypto.testing import emv_payload, mint, sample_payload

NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone.utc)


def assert_complete(instance: object) -> None:
    names = {field.name for field in dataclasses.fields(instance)}  # type: ignore[arg-type]
    assert set(vars(instance)) == names, type(instance).__name__
    rebuilt = type(instance)(**vars(instance))  # the generated __init__ accepts the same
    assert vars(rebuilt) == vars(instance)


@pytest.mark.parametrize("version", ["EC_v1", "RSA_v1"])
@pytest.mark.parametrize("payload", [sample_payload, emv_payload], ids=["3DSecure", "EMV"])
@pytest.mark.parametrize(
    "application_data", [None, bytes(range(32))], ids=["no-appdata", "appdata"]
)
def test_every_hot_path_instance_has_exactly_its_fields(
    authority, ec_merchant, rsa_merchant, version, payload, application_data
) -> None:
    merchant = ec_merchant if version == "EC_v1" else rsa_merchant
    token = mint(
        payload(),
        recipient=merchant,
        authority=authority,
        version=version,
        signing_time=NOW,
        application_data=application_data,
    )
    decryptor = TokenDecryptor(merchant.merchant_key, trust=authority.trust_store())
    parsed = parse_token(token)
    result = decryptor.decrypt(token, now=NOW)
    for instance in (parsed, decryptor.verify(token, now=NOW), result, result.payment_data):
        assert_complete(instance)
    assert parsed == parse_token(token) and hash(parsed) == hash(parse_token(token))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.payment_data.pan = "0"  # type: ignore[misc]
