"""Keys in every form PSP portals use; refusals name the problem without echoing the key."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import textwrap
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from paykka_sign import (
    InvalidKeyError,
    OutputExistsError,
    generate_private_key,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_base64,
    public_key_pem,
    read_private_key,
    read_public_key,
    write_private_key,
)

PKCS8 = serialization.PrivateFormat.PKCS8
PKCS1 = serialization.PrivateFormat.TraditionalOpenSSL
NO_PASSWORD = serialization.NoEncryption()


def _same_private(a: rsa.RSAPrivateKey, b: rsa.RSAPrivateKey) -> bool:
    return a.private_numbers() == b.private_numbers()


@pytest.mark.parametrize(
    ("encoding", "fmt"),
    [
        (serialization.Encoding.PEM, PKCS8),
        (serialization.Encoding.PEM, PKCS1),
        (serialization.Encoding.DER, PKCS8),
        (serialization.Encoding.DER, PKCS1),
    ],
)
def test_private_key_pem_and_der(
    rsa_key: rsa.RSAPrivateKey, encoding: serialization.Encoding, fmt: serialization.PrivateFormat
) -> None:
    raw = rsa_key.private_bytes(encoding, fmt, NO_PASSWORD)
    assert _same_private(load_private_key(raw), rsa_key)


@pytest.mark.parametrize("fmt", [PKCS8, PKCS1])
def test_private_key_bare_base64_as_portals_give_it(
    rsa_key: rsa.RSAPrivateKey, fmt: serialization.PrivateFormat
) -> None:
    text = base64.b64encode(rsa_key.private_bytes(serialization.Encoding.DER, fmt, NO_PASSWORD))
    one_line = text.decode("ascii")
    wrapped = "\n".join(textwrap.wrap(one_line, 64)) + "\n"
    assert _same_private(load_private_key(one_line), rsa_key)
    assert _same_private(load_private_key(wrapped.encode("ascii")), rsa_key)


def test_pem_with_escaped_newlines_from_an_environment_variable(rsa_key: rsa.RSAPrivateKey) -> None:
    pem = private_key_pem(rsa_key).decode("ascii").replace("\n", "\\n")
    assert _same_private(load_private_key(pem), rsa_key)


def test_encrypted_private_key(rsa_key: rsa.RSAPrivateKey) -> None:
    pem = private_key_pem(rsa_key, password=b"correct horse")
    assert b"ENCRYPTED" in pem
    assert _same_private(load_private_key(pem, password=b"correct horse"), rsa_key)
    with pytest.raises(InvalidKeyError) as info:
        load_private_key(pem)
    assert info.value.code == "invalid_key"
    with pytest.raises(InvalidKeyError):
        load_private_key(pem, password=b"wrong")


def test_public_key_forms(rsa_key: rsa.RSAPrivateKey) -> None:
    public = rsa_key.public_key()
    spki_der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pkcs1_pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    for form in (spki_der, pkcs1_pem, public_key_pem(rsa_key), public_key_base64(rsa_key)):
        assert load_public_key(form).public_numbers() == public.public_numbers()


def test_public_key_base64_matches_openssl(key_dir: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    openssl = pytest.importorskip("shutil").which("openssl")
    if openssl is None:
        pytest.skip("openssl is not on PATH")
    der = subprocess.run(
        [openssl, "pkey", "-in", str(key_dir / "key.pem"), "-pubout", "-outform", "DER"],
        capture_output=True,
        check=True,
    ).stdout
    assert public_key_base64(rsa_key) == base64.b64encode(der).decode("ascii")
    assert "\n" not in public_key_base64(rsa_key)


def test_a_file_name_given_as_key_material(key_dir: Path) -> None:
    with pytest.raises(InvalidKeyError, match="read_private_key"):
        load_private_key(str(key_dir / "key.pem"))


def test_read_from_files(key_dir: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    assert _same_private(read_private_key(key_dir / "key.pem"), rsa_key)
    assert (
        read_public_key(key_dir / "pub.pem").public_numbers()
        == rsa_key.public_key().public_numbers()
    )
    with pytest.raises(InvalidKeyError, match="cannot read key file"):
        read_private_key(key_dir / "absent.pem")


def test_certificate_gives_its_public_key(rsa_key: rsa.RSAPrivateKey) -> None:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "PayKKa test platform")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rsa_key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(rsa_key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    assert load_public_key(pem).public_numbers() == rsa_key.public_key().public_numbers()


@pytest.mark.parametrize(
    "garbage", [b"", b"not a key at all!", "%%%%", "MIIB!!", b"\x30\x03\x02\x01\x01", "é"]
)
def test_garbage_is_invalid_key(garbage: bytes | str) -> None:
    for loader in (load_private_key, load_public_key):
        with pytest.raises(InvalidKeyError) as info:
            loader(garbage)
        assert info.value.code == "invalid_key"


def test_public_key_where_a_private_key_is_needed(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(InvalidKeyError, match="public key"):
        load_private_key(public_key_base64(rsa_key))
    with pytest.raises(InvalidKeyError, match="public key"):
        load_private_key(public_key_pem(rsa_key))


def test_private_key_where_a_public_key_is_needed(rsa_key: rsa.RSAPrivateKey) -> None:
    secret_line = base64.b64encode(
        rsa_key.private_bytes(serialization.Encoding.DER, PKCS8, NO_PASSWORD)
    ).decode("ascii")
    with pytest.raises(InvalidKeyError) as info:
        load_public_key(secret_line)
    assert "private key" in info.value.message
    # Never any part of the key material in the message.
    assert secret_line[40:80] not in info.value.message


def test_small_and_non_rsa_keys_are_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(InvalidKeyError, match="RSA-1024"):
        load_private_key(small.private_bytes(serialization.Encoding.PEM, PKCS8, NO_PASSWORD))
    with pytest.raises(InvalidKeyError, match="RSA-1024"):
        load_public_key(public_key_pem(small))
    with pytest.raises(InvalidKeyError, match="RSA-1024"):
        generate_private_key(key_size=1024)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InvalidKeyError, match="RSA"):
        load_private_key(ec_key.private_bytes(serialization.Encoding.PEM, PKCS8, NO_PASSWORD))
    ec_public = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(InvalidKeyError, match="RSA"):
        load_public_key(ec_public)


def test_write_private_key_is_owner_only_and_never_overwrites(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    path = tmp_path / "merchant.pem"
    write_private_key(path, rsa_key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _same_private(read_private_key(path), rsa_key)
    with pytest.raises(OutputExistsError, match="refusing to overwrite"):
        write_private_key(path, other_rsa_key)
    assert _same_private(read_private_key(path), rsa_key)
    os.chmod(path, 0o644)
    write_private_key(path, other_rsa_key, overwrite=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _same_private(read_private_key(path), other_rsa_key)
    with pytest.raises(InvalidKeyError, match="cannot write"):
        write_private_key(tmp_path / "no" / "such" / "dir.pem", rsa_key)


def test_generated_key_is_rsa_2048_e65537() -> None:
    key = generate_private_key()
    assert key.key_size == 2048
    assert key.public_key().public_numbers().e == 65537
