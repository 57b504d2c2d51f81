"""The simulator answers any request (any bytes, any headers, any path) with one of the PSPs'
shapes, never an exception; and its own API refuses bad arguments with paykka_sign's error."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paykka_sign.errors import InvalidArgumentError
from paykka_sign.simulator import Simulator

PATHS = st.sampled_from(
    ["/v3/payment/acq", "/v3/payment/acq/query", "/payments", "/payments/session", "/Payments",
     "/nope", "/v3/unknown"]
)  # fmt: skip
HEADER_NAMES = st.sampled_from(
    ["x-paykka-sign", "x-paykka-timestamp", "x-paykka-nonce", "x-paykka-appid", "signature",
     "type", "version", "x-paykka-sign-alg"]
)  # fmt: skip


@pytest.fixture(scope="module")
def sim(rsa_key: rsa.RSAPrivateKey) -> Simulator:
    # Not started: handle() is what the HTTP handler calls; the URL is only read by flows
    # that a request with a valid signature reaches, which these never have.
    return Simulator(merchant_public_key=rsa_key.public_key(), yabandpay_secret="s")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["POST", "GET", "PUT"]),
    path=PATHS,
    headers=st.dictionaries(HEADER_NAMES, st.text(max_size=40), max_size=6),
    body=st.one_of(st.binary(max_size=200), st.builds(lambda d: json.dumps(d).encode(),
                   st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=4))),
)  # fmt: skip
def test_any_request_gets_a_psp_shaped_answer(
    sim: Simulator, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    answer = sim.handle(method, path, headers, body)
    doc = json.loads(answer.body)
    if path == "/Payments":
        assert (answer.status, doc["status"], doc["code"]) in {
            (200, False, -403),
            (200, False, -400),
        }
    else:
        assert doc["ret_code"] == "010000" and answer.status in {400, 401, 403, 404}


@pytest.mark.parametrize(
    "url", ["https://shop.example/hook", "ftp://127.0.0.1/x", "not a url", "http:///x"]
)
def test_webhooks_go_to_local_http_urls_only(sim: Simulator, url: str) -> None:
    with pytest.raises(InvalidArgumentError):
        sim.send_webhook(url)


@pytest.mark.parametrize("port", [-1, 65536, True, "80"])
def test_a_bad_port_is_refused(rsa_key: rsa.RSAPrivateKey, port: object) -> None:
    with pytest.raises(InvalidArgumentError):
        Simulator(merchant_public_key=rsa_key.public_key(), port=port)  # type: ignore[arg-type]
