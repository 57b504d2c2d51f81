"""Review (#11), the verifier's classes: one genuine token must never become many
transactions (1), the validated path is exactly leaf -> OID-checked intermediate -> pinned
root (2), the signer is an end entity fit for signing and the intermediate a CA (3), and a
tag failure without a verified signature is not blamed on the merchant id (10)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fuzz_support import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from applepay_crypto import ApplePayError, MemoryReplayGuard, TokenDecryptor
from applepay_crypto.cli import main
from applepay_crypto.keys import save_private_key
from applepay_crypto.signature import INTERMEDIATE_OID, LEAF_OID, TokenVerifier
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload
from applepay_crypto.testing.chains import INTERMEDIATE, KEY_USAGES, LEAF, Profile, issue
from applepay_crypto.token import parse_token

SIGNED_AT = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.timezone.utc)
NOW = SIGNED_AT + dt.timedelta(seconds=5)

# --- class 1: re-splits of the signed content --------------------------------------------


@dataclass(frozen=True)
class Genuine:
    """A minted token and its signed content cut at its four field boundaries."""

    token: dict[str, Any]
    material_field: str
    content: bytes
    cuts: tuple[int, int, int]  # ends of material, data, transactionId
    transaction_id: str
    application_data: bytes | None

    def resplit(self, cuts: tuple[int, int, int], *, case: str = "lower") -> dict[str, Any]:
        """The same signature over the same bytes, cut differently into the four fields."""
        a, b, c = cuts
        content = self.content
        txid = content[b:c].hex()
        if case == "upper":
            txid = txid.upper()
        elif case == "mixed":
            txid = "".join(ch.upper() if i % 2 else ch for i, ch in enumerate(txid))
        header: dict[str, Any] = {
            self.material_field: _b64(content[:a]),
            "publicKeyHash": self.token["header"]["publicKeyHash"],
            "transactionId": txid,
        }
        if c < len(content):
            header["applicationData"] = content[c:].hex()
        return {
            "version": self.token["version"],
            "data": _b64(content[a:b]),
            "signature": self.token["signature"],
            "header": header,
        }


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _genuine(
    authority: TestAuthority, merchant: TestMerchant, version: str, app_data: bytes | None
) -> Genuine:
    token = mint(
        sample_payload(),
        recipient=merchant,
        authority=authority,
        version=version,
        signing_time=SIGNED_AT,
        application_data=app_data,
    )
    parsed = parse_token(token)
    material = parsed.key_material
    a = len(material)
    b = a + len(parsed.data)
    c = b + 32
    return Genuine(
        token=token,
        material_field="ephemeralPublicKey" if version == "EC_v1" else "wrappedKey",
        content=parsed.signed_content(),
        cuts=(a, b, c),
        transaction_id=parsed.transaction_id,
        application_data=app_data,
    )


@pytest.fixture(scope="module")
def genuine_tokens(
    authority: TestAuthority, ec_merchant: TestMerchant, rsa_merchant: TestMerchant
) -> list[Genuine]:
    app_data = bytes(range(0x40, 0x60))
    return [
        _genuine(authority, ec_merchant, "EC_v1", None),
        _genuine(authority, ec_merchant, "EC_v1", app_data),
        _genuine(authority, rsa_merchant, "RSA_v1", None),
        _genuine(authority, rsa_merchant, "RSA_v1", app_data),
    ]


@pytest.fixture(scope="module")
def decryptor(
    authority: TestAuthority, ec_merchant: TestMerchant, rsa_merchant: TestMerchant
) -> TokenDecryptor:
    return TokenDecryptor(
        [ec_merchant.merchant_key, rsa_merchant.merchant_key], trust=authority.trust_store()
    )


def _outcome(decryptor: TokenDecryptor, token: dict[str, Any]) -> Any:
    try:
        return decryptor.decrypt(token, now=NOW)
    except ApplePayError as exc:
        return exc.code


#: How a re-split may end: refused by the grammar, or its data fails AES-GCM / RSA-OAEP.
REFUSALS = {"malformed_token", "decryption_failed"}


@st.composite
def resplits(draw: st.DrawFn, count: int) -> tuple[int, tuple[int, int, int], str]:
    """Which genuine token, new cut points near the old ones (where the attacks are) or
    anywhere, and how the transactionId is spelled."""
    index = draw(st.integers(0, count - 1))
    shift = st.integers(-70, 70) | st.integers(-2000, 2000)
    moves = (draw(shift), draw(shift), draw(shift))
    case = draw(st.sampled_from(["lower", "upper", "mixed"]))
    return index, moves, case


def _cuts(genuine: Genuine, moves: tuple[int, int, int]) -> tuple[int, int, int]:
    size = len(genuine.content)
    a, b, c = (min(max(cut + move, 0), size) for cut, move in zip(genuine.cuts, moves, strict=True))
    a, b, c = sorted((a, b, c))
    return a, b, c


@fuzz_settings(250)
@given(resplits(4))
def test_every_resplit_is_refused_or_keeps_the_transaction_id(
    genuine_tokens: list[Genuine],
    decryptor: TokenDecryptor,
    draw: tuple[int, tuple[int, int, int], str],
) -> None:
    """Class 1: from one genuine token, no cut of the signed bytes into (key material, data,
    transactionId, applicationData), in any spelling, decrypts under another transaction id
    (or another applicationData): a replay guard or idempotency key sees one transaction."""
    index, moves, case = draw
    genuine = genuine_tokens[index]
    cuts = _cuts(genuine, moves)
    outcome = _outcome(decryptor, genuine.resplit(cuts, case=case))
    if isinstance(outcome, str):
        assert outcome in REFUSALS, (cuts, outcome)
    else:
        assert outcome.transaction_id == genuine.transaction_id, cuts
        assert outcome.application_data == genuine.application_data, cuts


def test_the_reviewers_31_splits_are_refused(
    genuine_tokens: list[Genuine], decryptor: TokenDecryptor
) -> None:
    """The review's example: the last 1..31 bytes of transactionId moved into a new
    applicationData decrypted under 31 new ids; each is now refused by the grammar."""
    genuine = genuine_tokens[0]
    a, b, c = genuine.cuts
    for moved in range(1, 32):
        assert _outcome(decryptor, genuine.resplit((a, b, c - moved))) == "malformed_token"
    # ... and the reverse: applicationData appended to transactionId (order binding lost).
    a, b, c = genuine_tokens[1].cuts
    assert _outcome(decryptor, genuine_tokens[1].resplit((a, b, c + 32))) == "malformed_token"


def test_signature_only_residual_is_exactly_the_documented_one(
    genuine_tokens: list[Genuine], authority: TestAuthority
) -> None:
    """With fixed widths, verify() (no decryption) accepts exactly the cuts SECURITY.md
    names: the genuine one, and applicationData <-> no applicationData with the 32 bytes
    before it becoming the transactionId; for RSA_v1 also any end of wrappedKey (its width
    is the merchant key's, checked at decryption). None of the others decrypts, and only
    the applicationData one changes the id."""
    verifier = TokenVerifier(authority.trust_store())
    for genuine in genuine_tokens:
        a, b, c = genuine.cuts
        size = len(genuine.content)
        accepted = set()
        # Widths of transactionId around the ones that matter (empty, 32, 64: the id with
        # applicationData folded in); every other width is the grammar's, in the property.
        for new_a in range(a - 1, a + 2):
            for new_b in range(b - 36, b + 37):
                for new_c in (new_b + w for w in (0, 1, 31, 32, 33, 63, 64, 65)):
                    if new_c > size:
                        continue
                    try:
                        token = parse_token(genuine.resplit((new_a, new_b, new_c)))
                        verifier.verify(token, now=NOW)
                    except ApplePayError:
                        continue
                    accepted.add((new_a, new_b, new_c))
        # No applicationData: data's last 32 bytes become the id, the id applicationData.
        # With it: the id joins data, applicationData becomes the id.
        residual = (b - 32, b) if genuine.application_data is None else (b + 32, size)
        ends = range(a - 1, a + 2) if genuine.token["version"] == "RSA_v1" else [a]
        expected = {(end, *cut) for end in ends for cut in ((b, c), residual)}
        assert accepted == expected, genuine.token["version"]


def test_spellings_of_one_id_are_one_transaction(
    genuine_tokens: list[Genuine], authority: TestAuthority, ec_merchant: TestMerchant
) -> None:
    guard = MemoryReplayGuard(clock=lambda: NOW)
    guarded = TokenDecryptor(
        ec_merchant.merchant_key, trust=authority.trust_store(), replay_guard=guard
    )
    genuine = genuine_tokens[0]
    upper = genuine.resplit(genuine.cuts, case="upper")
    first = guarded.decrypt(upper, now=NOW)
    assert first.transaction_id == genuine.transaction_id == genuine.transaction_id.lower()
    assert parse_token(upper).header_json()["transactionId"] == genuine.transaction_id
    assert first.to_json_dict()["transaction_id"] == genuine.transaction_id
    for case in ("lower", "mixed", "upper"):
        assert _outcome(guarded, genuine.resplit(genuine.cuts, case=case)) == (
            "replayed_transaction"
        )
    # A guard asked directly keys on the lower-case id too.
    assert guard.seen(genuine.transaction_id.upper(), SIGNED_AT) is True


# --- classes 2 and 3: chain shape and certificate fitness ---------------------------------

_KU = frozenset
APPLE_LEAF_KU = _KU({"digital_signature"})
APPLE_CA_KU = _KU({"key_cert_sign", "crl_sign"})
key_usages = st.none() | st.frozensets(st.sampled_from(KEY_USAGES), min_size=1)


@dataclass(frozen=True)
class Shape:
    """One chain: the two profiles, who issued whom, and the signature's certificate list."""

    leaf: Profile
    leaf_issuer: str  # intermediate | root | junk
    intermediate: Profile
    intermediate_issuer: str  # root | junk | self
    certificates: tuple[str, ...]  # leaf | intermediate | junk | root | extra, in order

    def apple_shaped(self) -> bool:
        """The oracle: exactly leaf -> OID intermediate -> root, each fit for its place."""
        leaf, inter = self.leaf, self.intermediate
        leaf_fit = (
            leaf.marker == LEAF_OID
            and leaf.ca is not True
            and leaf.key_usage is not None
            and "digital_signature" in leaf.key_usage
            and "key_cert_sign" not in leaf.key_usage
        )
        intermediate_fit = (
            inter.marker == INTERMEDIATE_OID
            and inter.ca is True
            and inter.key_usage is not None
            and "key_cert_sign" in inter.key_usage
        )
        return (
            sorted(self.certificates) == ["intermediate", "leaf"]
            and self.leaf_issuer == "intermediate"
            and self.intermediate_issuer == "root"
            and leaf_fit
            and intermediate_fit
        )


def profiles(apple: Profile, marker: Any) -> st.SearchStrategy[Profile]:
    return st.builds(
        Profile,
        ca=st.sampled_from([apple.ca, None, not apple.ca]),
        key_usage=st.just(apple.key_usage) | key_usages,
        marker=st.sampled_from([marker, None]),
    )


@st.composite
def shapes(draw: st.DrawFn, *, vary_shape: bool = True) -> Shape:
    leaf = draw(profiles(LEAF, LEAF_OID))
    intermediate = draw(profiles(INTERMEDIATE, INTERMEDIATE_OID))
    if not vary_shape:
        return Shape(leaf, "intermediate", intermediate, "root", ("leaf", "intermediate"))
    certificates = ["leaf", "intermediate"]
    extras = draw(st.lists(st.sampled_from(["junk", "root", "intermediate", "extra"]), max_size=2))
    if draw(st.integers(0, 3)) == 0:
        certificates.remove("intermediate")
    certificates = draw(st.permutations([*certificates, *extras]))
    return Shape(
        leaf=leaf,
        leaf_issuer=draw(st.sampled_from(["intermediate", "root", "junk"])),
        intermediate=intermediate,
        intermediate_issuer=draw(st.sampled_from(["root", "junk", "self"])),
        certificates=tuple(certificates),
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)])


@dataclass
class ChainLab:
    authority: TestAuthority
    merchant: TestMerchant
    keys: dict[str, ec.EllipticCurvePrivateKey]

    def mint(self, shape: Shape) -> dict[str, Any]:
        root = self.authority.root
        start = root.certificate.not_valid_before_utc
        end = start + dt.timedelta(days=3650)
        validity = {"not_before": start, "not_after": end}
        # A self-signed look-alike of the root, carrying Apple's intermediate OID.
        junk = issue(
            INTERMEDIATE,
            subject=root.certificate.subject,
            issuer=None,
            key=self.keys["junk"],
            **validity,
        )
        issuers = {"root": root, "junk": junk, "self": None}
        intermediate = issue(
            shape.intermediate,
            subject=_name("Test Application Integration CA - G3"),
            issuer=issuers[shape.intermediate_issuer],
            key=self.keys["intermediate"],
            **validity,
        )
        leaf = issue(
            shape.leaf,
            subject=_name("ecc-smp-broker-sign_UC4-TEST"),
            issuer={"intermediate": intermediate, **issuers}[shape.leaf_issuer],
            key=self.keys["leaf"],
            **validity,
        )
        extra = issue(
            LEAF, subject=_name("unrelated"), issuer=root, key=self.keys["extra"], **validity
        )
        certs = {
            "leaf": leaf,
            "intermediate": intermediate,
            "junk": junk,
            "root": root,
            "extra": extra,
        }
        return mint(
            sample_payload(),
            recipient=self.merchant,
            authority=self.authority,
            signing_time=SIGNED_AT,
            signer=leaf,
            certificates=[certs[name].certificate for name in shape.certificates],
        )


@pytest.fixture(scope="module")
def lab(authority: TestAuthority, ec_merchant: TestMerchant) -> ChainLab:
    keys = {
        n: ec.generate_private_key(ec.SECP256R1())
        for n in ("leaf", "intermediate", "junk", "extra")
    }
    return ChainLab(authority, ec_merchant, keys)


def _verify_twice(lab: ChainLab, token: dict[str, Any]) -> list[str]:
    """The outcome without caches, then again through the layout and chain caches."""
    verifier = TokenVerifier(lab.authority.trust_store())
    outcomes = []
    for _ in range(2):
        try:
            verified = verifier.verify(parse_token(token), now=NOW)
        except ApplePayError as exc:
            outcomes.append(exc.code)
        else:
            assert len(verified.chain) == 3
            assert verified.chain[2] == lab.authority.root.certificate
            outcomes.append("accepted")
    return outcomes


def _check(lab: ChainLab, shape: Shape) -> None:
    outcomes = _verify_twice(lab, lab.mint(shape))
    assert outcomes[0] == outcomes[1], shape
    if shape.apple_shaped():
        assert outcomes[0] == "accepted", shape
    else:
        assert outcomes[0] in {"certificate_invalid", "untrusted_root"}, shape


@fuzz_settings(80)
@given(shapes())
def test_accepted_iff_the_chain_is_apples_shape(lab: ChainLab, shape: Shape) -> None:
    """Class 2 (and 3): over generated chains (leaf under the root, junk look-alikes of the
    root with the intermediate OID, extra, duplicated and missing certificates, any order,
    wrong issuers), a token verifies iff its path is exactly leaf -> the OID-checked
    intermediate -> the trusted root, each certificate fit for its place."""
    _check(lab, shape)


@fuzz_settings(80)
@given(shapes(vary_shape=False))
def test_accepted_iff_leaf_signs_and_intermediate_is_a_ca(lab: ChainLab, shape: Shape) -> None:
    """Class 3: every basicConstraints / keyUsage combination on the leaf and the
    intermediate: only an end entity with digitalSignature under a CA with keyCertSign."""
    _check(lab, shape)


def test_the_reviewers_leaf_under_root_with_junk_is_refused(lab: ChainLab) -> None:
    shape = Shape(LEAF, "root", INTERMEDIATE, "root", ("leaf", "junk"))
    assert _verify_twice(lab, lab.mint(shape)) == ["certificate_invalid"] * 2


def test_the_reviewers_ca_signer_is_refused(lab: ChainLab) -> None:
    ca_leaf = Profile(ca=True, key_usage=_KU({"key_cert_sign"}), marker=LEAF_OID)
    shape = Shape(ca_leaf, "intermediate", INTERMEDIATE, "root", ("leaf", "intermediate"))
    assert _verify_twice(lab, lab.mint(shape)) == ["certificate_invalid"] * 2


def test_apples_own_shape_is_accepted(lab: ChainLab) -> None:
    shape = Shape(LEAF, "intermediate", INTERMEDIATE, "root", ("intermediate", "leaf"))
    assert _verify_twice(lab, lab.mint(shape)) == ["accepted"] * 2


# --- class 10: what real tokens and certificates showed -----------------------------------

LONG_MERCHANT_ID = "merchant.com.example.long-identifier-39"  # CN of 68 characters


def test_a_long_apple_common_name_prints_nothing(tmp_path: Path) -> None:
    """Class 10a: Apple's payment processing certificate for a long merchant id has a
    common name over X.520's 64 characters; cryptography warned on every read of it."""
    key = ec.generate_private_key(ec.SECP256R1())
    common_name = f"Apple Pay Payment Processing:{LONG_MERCHANT_ID}"
    assert len(common_name) == 68
    with pytest.warns(UserWarning, match="length must be"):  # cryptography, building it
        subject = x509.Name(
            [
                x509.NameAttribute(x509.NameOID.USER_ID, LONG_MERCHANT_ID),
                x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name, _validate=False),
            ]
        )
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    save_private_key(key, tmp_path / "key.pem")
    script = (
        "from applepay_crypto.keys import MerchantKey\n"
        "key = MerchantKey.load('key.pem', certificate='cert.pem')\n"
        f"assert key.merchant_id == {LONG_MERCHANT_ID!r}\n"
    )
    library = subprocess.run(
        [sys.executable, "-W", "default", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert library.returncode == 0, library.stderr
    assert library.stderr == ""
    cli = subprocess.run(
        [str(Path(sys.executable).parent / "applepay-crypto"), "cert", "inspect", "cert.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert LONG_MERCHANT_ID in cli.stdout
    assert "Attribute's length" not in cli.stderr + cli.stdout


def _tampered(token: dict[str, Any]) -> dict[str, Any]:
    raw = bytearray(base64.b64decode(token["data"]))
    raw[5] ^= 0x01
    return {**token, "data": _b64(bytes(raw))}


@pytest.mark.parametrize("version", ["EC_v1", "RSA_v1"])
def test_altered_data_without_verification_is_not_blamed_on_the_merchant_id(
    version: str, authority: TestAuthority, ec_merchant: TestMerchant, rsa_merchant: TestMerchant
) -> None:
    """Class 10b: with verification off a GCM tag failure is most likely altered data;
    the message says so (exact code decryption_failed), and does not send the merchant
    after its merchant id."""
    merchant = ec_merchant if version == "EC_v1" else rsa_merchant
    token = mint(sample_payload(), recipient=merchant, authority=authority, version=version)
    unverified = TokenDecryptor(merchant.merchant_key, verify_signature=False)
    with pytest.raises(ApplePayError) as caught:
        unverified.decrypt(_tampered(token))
    assert caught.value.code == "decryption_failed"
    assert "may have been altered" in caught.value.message
    assert "Check that the merchant id" not in caught.value.message
    # Verified, the same data is refused earlier, by the digest.
    verified = TokenDecryptor(merchant.merchant_key, trust=authority.trust_store())
    with pytest.raises(ApplePayError) as caught:
        verified.decrypt(_tampered(token))
    assert caught.value.code == "signature_invalid"


def test_a_wrong_merchant_id_under_a_verified_signature_names_the_merchant_id(
    authority: TestAuthority, ec_merchant: TestMerchant
) -> None:
    token = mint(
        sample_payload(),
        recipient=ec_merchant,
        authority=authority,
        merchant_id="merchant.com.someone.else",
    )
    decryptor = TokenDecryptor(ec_merchant.merchant_key, trust=authority.trust_store())
    with pytest.raises(ApplePayError) as caught:
        decryptor.decrypt(token)
    assert caught.value.code == "decryption_failed"
    assert "signature over it verified" in caught.value.message
    assert "merchant id" in caught.value.message


def test_cli_no_verify_reports_altered_data(
    tmp_path: Path, authority: TestAuthority, ec_merchant: TestMerchant
) -> None:
    paths = ec_merchant.save(tmp_path)
    token = mint(sample_payload(), recipient=ec_merchant, authority=authority)
    (tmp_path / "token.json").write_text(json.dumps(_tampered(token)))
    result = CliRunner().invoke(
        main,
        [
            "decrypt",
            str(tmp_path / "token.json"),
            "--key",
            str(paths["key"]),
            "--cert",
            str(paths["certificate"]),
            "--no-verify",
            "--json",
        ],
    )
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "decryption_failed"
    assert "may have been altered" in error["message"]
