"""Every surface that shows a decrypted token, for the output properties (review #11): the
library's renderings and every command of both CLIs that decrypts, run with click's
CliRunner on a minted token written to a file."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization

from applepay_crypto import DecryptedToken, TokenDecryptor
from applepay_crypto.cli import main as applepay_main
from applepay_crypto.testing import TestAuthority, TestMerchant, mint
from paykka_sign.cli import main as paykka_main

NOW = dt.datetime(2026, 2, 1, 12, 0, tzinfo=dt.timezone.utc)
AT = (NOW + dt.timedelta(seconds=20)).isoformat()
#: The order the payloads are for (sample_payload's defaults): 10.00 EUR.
AMOUNT, CURRENCY = "1000", "EUR"


@dataclass
class Surfaces:
    """A merchant, a test authority and the files the commands read."""

    authority: TestAuthority
    merchant: TestMerchant
    directory: Path
    key: Path
    certificate: Path

    @classmethod
    def create(
        cls, authority: TestAuthority, merchant: TestMerchant, psp_key: Any, directory: Path
    ) -> Surfaces:
        saved = merchant.save(directory)
        (directory / "root.pem").write_bytes(
            authority.root.certificate.public_bytes(serialization.Encoding.PEM)
        )
        psp = directory / "paykka.pem"
        psp.write_bytes(
            psp_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        psp.chmod(0o600)
        (directory / "yabandpay.secret").write_text("not-a-real-secret\n")
        return cls(authority, merchant, directory, saved["key"], saved["certificate"])

    def path(self, name: str) -> str:
        return str(self.directory / name)

    def mint(self, payload: dict[str, Any] | bytes) -> dict[str, Any]:
        return mint(payload, recipient=self.merchant, authority=self.authority, signing_time=NOW)

    def decrypt(self, token: dict[str, Any]) -> DecryptedToken:
        decryptor = TokenDecryptor(self.merchant.merchant_key, trust=self.authority.trust_store())
        return decryptor.decrypt(token, now=NOW)

    def write(self, token: dict[str, Any]) -> None:
        (self.directory / "token.json").write_text(json.dumps(token))
        lines = [{"id": 1, "token": token}, token]
        (self.directory / "batch.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))

    def _keys(self) -> list[str]:
        return ["--key", str(self.key), "--cert", str(self.certificate)]

    def commands(
        self, *, reveal: bool = False, paykka: str | None = "v1.2"
    ) -> Iterator[tuple[str, Any, list[str]]]:
        """(label, CLI, arguments) of every command that decrypts the token in token.json.
        ``paykka``: which PayKKa request to build ("v1.2", "v3", "token_data", or None for
        none): each loads an RSA key, the slow part, so a property takes one per example."""
        common = [*self._keys(), "--root", self.path("root.pem"), "--at", AT]
        flag = ["--reveal"] if reveal else []
        token = self.path("token.json")
        yield "decrypt", applepay_main, ["decrypt", token, *common, *flag]
        yield "decrypt --json", applepay_main, ["decrypt", token, *common, "--json", *flag]
        batch = ["decrypt-batch", self.path("batch.jsonl"), *common, *flag]
        yield "decrypt-batch", applepay_main, batch
        if not reveal:  # doctor has no --reveal: it never shows card data
            yield "doctor", applepay_main, ["doctor", token, *common]
            yield "doctor --json", applepay_main, ["doctor", token, *common, "--json"]
        order = ["--amount", AMOUNT, "--currency", CURRENCY, "--order-id", "order-1"]
        request = ["applepay-request", token, *common, *order, *flag]
        if paykka is not None:
            options = ["--provider", "paykka", "--signing-key", self.path("paykka.pem")]
            options += ["--paykka-merchant-id", "18356675194960"]
            options += {
                "v1.2": [],
                "v3": ["--api", "v3", "--app-id", "app-1"],
                "token_data": ["--decryption", "paykka"],
            }[paykka]
            yield f"applepay-request paykka {paykka}", paykka_main, [*request, *options]
        yabandpay = ["--provider", "yabandpay", "--secret-key-file", self.path("yabandpay.secret")]
        yabandpay += [
            "--user",
            "016683",
            "--description",
            "d",
            "--notify-url",
            "https://n.example/",
        ]
        yield "applepay-request yabandpay", paykka_main, [*request, *yabandpay]

    def run(
        self, *, reveal: bool = False, paykka: str | None = "v1.2", only: tuple[str, ...] = ()
    ) -> Iterator[tuple[str, Result]]:
        for label, cli, args in self.commands(reveal=reveal, paykka=paykka):
            if only and label not in only:
                continue
            result = CliRunner().invoke(cli, args)
            # Only the CLI's contract: an exit code, never an exception or a traceback.
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                f"{label}: {result.exception!r}"
            )
            assert "Traceback" not in result.output, label
            yield label, result


def library_outputs(result: DecryptedToken) -> Iterator[tuple[str, str]]:
    """Everything the library renders without being asked to reveal."""
    payment = result.payment_data
    yield "repr(PaymentData)", repr(payment)
    yield "str(PaymentData)", str(payment)
    yield "repr(DecryptedToken)", repr(result)
    yield "str(DecryptedToken)", str(result)
    yield "masked_dict()", json.dumps(payment.masked_dict())
    yield "to_json_dict()", json.dumps(result.to_json_dict())
    yield "to_json_dict(reveal=False)", json.dumps(result.to_json_dict(reveal=False))
