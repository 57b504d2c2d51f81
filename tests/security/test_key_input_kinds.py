"""Issue #14, item 4: one reading of key files for both packages.

Every kind of file a user actually has, given where a private key is expected, in
``applepay_crypto`` (``load_private_key``, ``applepay-crypto keys hash --key``) and in
``paykka_sign`` (``load_private_key``, ``paykka-sign sign --key``): read it, or say exactly
what it is and what to do. Any bytes as a key file: the package's error, never another.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from fuzz_support import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

import paykka_sign
from applepay_crypto import ApplePayError, InsecureKeyFileWarning
from applepay_crypto.cli import main as applepay_main
from applepay_crypto.keys import load_private_key as applepay_load
from applepay_crypto.keys.keydata import KEY_PASSWORD_ENV
from paykka_sign.cli import main as paykka_main

PASSWORD = b"correct horse"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())

_PEM = serialization.Encoding.PEM
_DER = serialization.Encoding.DER
_PKCS8 = serialization.PrivateFormat.PKCS8
_PLAIN = serialization.NoEncryption()
_SPKI = serialization.PublicFormat.SubjectPublicKeyInfo


def _certificate(key: Any) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "key-input test")])
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )


def _csr(key: Any) -> x509.CertificateSigningRequest:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "key-input test")])
    return x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())


def _kinds(key: Any) -> dict[str, bytes]:
    """Every form of ``key`` (and of what is not its private key) a user may hold."""
    cert = _certificate(key)
    der = key.private_bytes(_DER, _PKCS8, _PLAIN)
    return {
        "pem": key.private_bytes(_PEM, _PKCS8, _PLAIN),
        "pem_crlf": key.private_bytes(_PEM, _PKCS8, _PLAIN).replace(b"\n", b"\r\n"),
        "pem_escaped_newlines": key.private_bytes(_PEM, _PKCS8, _PLAIN).replace(b"\n", b"\\n"),
        "der": der,
        "base64": base64.b64encode(der) + b"\n",
        "base64_wrapped": base64.encodebytes(der),
        "pem_encrypted": key.private_bytes(
            _PEM, _PKCS8, serialization.BestAvailableEncryption(PASSWORD)
        ),
        "der_encrypted": key.private_bytes(
            _DER, _PKCS8, serialization.BestAvailableEncryption(PASSWORD)
        ),
        "p12": pkcs12.serialize_key_and_certificates(
            b"k", key, cert, None, serialization.BestAvailableEncryption(PASSWORD)
        ),
        "p12_no_password": pkcs12.serialize_key_and_certificates(b"k", key, cert, None, _PLAIN),
        "p12_without_key": pkcs12.serialize_key_and_certificates(
            b"k", None, cert, None, serialization.BestAvailableEncryption(PASSWORD)
        ),
        "cert_pem": cert.public_bytes(_PEM),
        "cert_der": cert.public_bytes(_DER),
        "public_pem": key.public_key().public_bytes(_PEM, _SPKI),
        "public_der": key.public_key().public_bytes(_DER, _SPKI),
        "public_base64": base64.b64encode(key.public_key().public_bytes(_DER, _SPKI)),
        "csr_pem": _csr(key).public_bytes(_PEM),
        "csr_der": _csr(key).public_bytes(_DER),
        "garbage": b"hello, this is not a key\n",
    }


#: kind -> (password to give, None when it loads, else words the refusal must hold)
EXPECTED: dict[str, tuple[bytes | None, tuple[str, ...] | None]] = {
    "pem": (None, None),
    "pem_crlf": (None, None),
    "pem_escaped_newlines": (None, None),
    "der": (None, None),
    "base64": (None, None),
    "base64_wrapped": (None, None),
    "pem_encrypted": (PASSWORD, None),
    "der_encrypted": (PASSWORD, None),
    "p12": (PASSWORD, None),
    "p12_no_password": (None, None),
    "p12_without_key": (PASSWORD, ("PKCS#12", "no private key")),
    "cert_pem": (None, ("certificate", "not a private key")),
    "cert_der": (None, ("certificate", "not a private key")),
    "public_pem": (None, ("public key", "not a private key")),
    "public_der": (None, ("public key", "not a private key")),
    "public_base64": (None, ("public key", "not a private key")),
    "csr_pem": (None, ("certificate signing request",)),
    "csr_der": (None, ("certificate signing request",)),
    "garbage": (None, ("not a readable private key",)),
}

#: Encrypted kinds without their password: the refusal names the option and the variable.
NEEDS_PASSWORD = {
    "pem_encrypted": ("encrypted", "--key-password", KEY_PASSWORD_ENV),
    "der_encrypted": ("encrypted", "--key-password", KEY_PASSWORD_ENV),
    "p12": ("PKCS#12", "--key-password", KEY_PASSWORD_ENV, "cert convert", "--key-out"),
}

Loader = Callable[[bytes, bytes | None], Any]


def _applepay(data: bytes, password: bytes | None) -> Any:
    return applepay_load(data, password=password)


def _paykka(data: bytes, password: bytes | None) -> Any:
    return paykka_sign.load_private_key(data, password=password)


PACKAGES: dict[str, tuple[Loader, type[Exception], Any]] = {
    "applepay_crypto": (_applepay, ApplePayError, EC_KEY),
    "applepay_crypto_rsa": (_applepay, ApplePayError, RSA_KEY),
    "paykka_sign": (_paykka, paykka_sign.PaykkaSignError, RSA_KEY),
}
KINDS = {name: _kinds(key) for name, (_, _, key) in PACKAGES.items()}


def _numbers(key: Any) -> Any:
    return key.private_numbers()


@pytest.mark.parametrize("kind", sorted(EXPECTED))
@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_each_kind_in_each_package(package: str, kind: str) -> None:
    load, error, key = PACKAGES[package]
    data = KINDS[package][kind]
    password, refusal = EXPECTED[kind]
    if refusal is None:
        assert _numbers(load(data, password)) == _numbers(key)
    else:
        with pytest.raises(error) as info:
            load(data, password)
        message = info.value.message  # type: ignore[attr-defined]
        for word in refusal:
            assert word in message, message
    if kind in NEEDS_PASSWORD:
        with pytest.raises(error) as missing:
            load(data, None)
        for word in NEEDS_PASSWORD[kind]:
            assert word in missing.value.message, missing.value.message  # type: ignore[attr-defined]
        with pytest.raises(error) as wrong:
            load(data, b"wrong")
        assert "password" in wrong.value.message  # type: ignore[attr-defined]
        assert "wrong" not in wrong.value.message.replace("is wrong", "")  # type: ignore[attr-defined]


def test_paykka_refuses_an_ec_key_by_name() -> None:
    with pytest.raises(paykka_sign.InvalidKeyError, match="PayKKa uses RSA"):
        paykka_sign.load_private_key(KINDS["applepay_crypto"]["pem"])


@fuzz_settings(200)
@given(
    data=st.one_of(
        st.binary(max_size=600),
        st.sampled_from(sorted(KINDS["paykka_sign"].values())).flatmap(
            lambda raw: st.integers(0, max(len(raw) - 1, 0)).map(lambda cut: raw[:cut])
        ),
        st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.builds(lambda raw: b"0" + raw, st.binary(max_size=100)),
    ),
    password=st.one_of(st.none(), st.just(PASSWORD), st.binary(max_size=8)),
)
def test_property_any_bytes_as_a_key_file(data: bytes, password: bytes | None) -> None:
    for load, error, _key in PACKAGES.values():
        try:
            load(data, password)
        except error as exc:
            assert exc.code  # type: ignore[attr-defined]
            assert "\\x" not in exc.message and "asn1" not in exc.message.lower()  # type: ignore[attr-defined]


# -- the command lines ---------------------------------------------------------------------


def _file(tmp_path: Path, data: bytes, mode: int = 0o600) -> Path:
    path = tmp_path / "given.key"
    path.write_bytes(data)
    path.chmod(mode)
    return path


def _hash(path: Path, *extra: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(
        applepay_main, ["keys", "hash", "--key", str(path), "--json", *extra], env=env
    )


def _sign(path: Path, body: Path, *extra: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(
        paykka_main, ["sign", "--key", str(path), "--body", str(body), "--json", *extra], env=env
    )


@pytest.fixture
def body(tmp_path: Path) -> Path:
    path = tmp_path / "b.json"
    path.write_bytes(b'{"merchant_id":"M1","timestamp":1700805506000}')
    return path


@pytest.mark.parametrize("kind", ["pem_encrypted", "p12", "base64", "der"])
def test_clis_read_encrypted_p12_and_base64_keys(tmp_path: Path, body: Path, kind: str) -> None:
    ec_dir = tmp_path / "ec"
    ec_dir.mkdir()
    ec_path = _file(ec_dir, KINDS["applepay_crypto"][kind])
    rsa_dir = tmp_path / "rsa"
    rsa_dir.mkdir()
    rsa_path = _file(rsa_dir, KINDS["paykka_sign"][kind])
    password = PASSWORD.decode() if kind in NEEDS_PASSWORD else None
    by_option = ["--key-password", password] if password else []
    by_env = {KEY_PASSWORD_ENV: password} if password else None
    for result in (_hash(ec_path, *by_option), _hash(ec_path, env=by_env)):
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["key"].startswith("EC")
    for result in (_sign(rsa_path, body, *by_option), _sign(rsa_path, body, env=by_env)):
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["headers"]["version"] == "v1.2"
    if password:
        for result in (_hash(ec_path), _sign(rsa_path, body)):
            assert result.exit_code == 2, result.output
            message = json.loads(result.stdout)["error"]["message"]
            assert "--key-password" in message and KEY_PASSWORD_ENV in message


@pytest.mark.parametrize("kind", ["cert_pem", "cert_der", "public_pem", "public_der"])
def test_clis_name_a_certificate_or_public_key_before_any_mode_warning(
    tmp_path: Path, body: Path, kind: str
) -> None:
    what = "certificate" if kind.startswith("cert") else "public key"
    for package, run in (("applepay_crypto", _hash), ("paykka_sign", _sign)):
        path = _file(tmp_path, KINDS[package][kind], mode=0o644)  # world-readable, as a cert is
        with warnings.catch_warnings():
            warnings.simplefilter("error", InsecureKeyFileWarning)
            result = run(path) if run is _hash else run(path, body)
        assert result.exit_code == 2, result.output
        message = json.loads(result.stdout)["error"]["message"]
        assert what in message and "not a private key" in message
        assert "accessible to other users" not in result.output
        assert "mode" not in result.stderr


def test_a_world_readable_private_key_is_still_warned_about(tmp_path: Path) -> None:
    path = _file(tmp_path, KINDS["applepay_crypto"]["pem"], mode=0o644)
    with pytest.warns(InsecureKeyFileWarning):
        applepay_load(path)
