"""``keygen``, ``sign`` and ``verify``: PayKKa keys and messages."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from pathlib import Path
from typing import Any

import click

from applepay_crypto.cli.params import Duration

from ..clock import DEFAULT_WINDOW
from ..errors import InvalidKeyError, OutputExistsError
from ..keys import (
    generate_private_key,
    public_key_base64,
    read_private_key,
    read_public_key,
    write_private_key,
)
from ..messages import SignedRequest
from ..paykka_v3 import PaykkaV3Signer, PaykkaV3Verifier
from ..paykka_v12 import (
    V12_DEFAULT_MERCHANT_ID_FIELDS,
    V12_DEFAULT_TIMESTAMP_FIELDS,
    PaykkaV12Signer,
    PaykkaV12Verifier,
)
from ._common import (
    at_option,
    existing_file,
    force_option,
    handles_errors,
    input_path,
    json_option,
    parse_header_lines,
    print_json,
    read_input,
    warn,
)
from ._keyfile import key_password_option

api_option = click.option(
    "--api",
    type=click.Choice(["v1.2", "v3"]),
    default="v1.2",
    show_default=True,
    help="PayKKa API version.",
)


@click.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("paykka-private-key.pem"),
    show_default=True,
    help="Where to write the private key (PEM PKCS#8, mode 0600).",
)
@click.option(
    "--public-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the bare-base64 public key to this file.",
)
@force_option
@json_option
@handles_errors(setup=True)
def keygen(out: Path, public_out: Path | None, force: bool, as_json: bool) -> None:
    """Generate an RSA-2048 key pair for PayKKa.

    Prints the public key as one line of base64 (DER SubjectPublicKeyInfo): paste it into
    the PayKKa portal. The private key never leaves --out.
    """
    if out.exists() and not force:
        # Checked before generating too: a key pair is slow to make and then thrown away.
        raise OutputExistsError(
            f"{str(out)!r} exists; refusing to overwrite a private key (add --force to replace it)"
        )
    key = generate_private_key()
    write_private_key(out, key, overwrite=force)
    public = public_key_base64(key)
    if public_out is not None:
        try:
            public_out.write_text(public + "\n", encoding="ascii")
        except OSError as exc:
            raise InvalidKeyError(f"cannot write {str(public_out)!r}: {exc.strerror}") from None
    if as_json:
        print_json(
            {
                "private_key_path": str(out),
                "public_key_path": str(public_out) if public_out else None,
                "public_key_base64": public,
            }
        )
        return
    click.echo(public)
    click.echo(
        f"private key written to {out} (mode 0600); paste the public key above into the "
        "PayKKa portal",
        err=True,
    )


def _curl_lines(signed: SignedRequest) -> str:
    headers = {"content-type": "application/json", **signed.headers}
    return "\n".join(f"-H {shlex.quote(f'{name}: {value}')}" for name, value in headers.items())


@click.command()
@click.option(
    "--key",
    required=True,
    type=existing_file,
    help="Merchant private key (PEM, DER, base64 or .p12).",
)
@key_password_option
@api_option
@click.option(
    "--body",
    type=input_path,
    default="-",
    show_default=True,
    help="Request body file, or - for stdin; signed byte for byte (mind a final newline).",
)
@click.option(
    "--merchant-id",
    default=None,
    help="v1.2: checked against the body's merchant_id (absent or different: refused, "
    "body_field_mismatch).",
)
@click.option(
    "--timestamp",
    default=None,
    help="v1.2: checked against the body's timestamp (absent or different: refused); "
    "v3: the x-paykka-timestamp, milliseconds since the epoch (default: now).",
)
@click.option("--app-id", default=None, help="v3: the x-paykka-appid.")
@click.option("--method", default="POST", show_default=True, help="v3: HTTP method.")
@click.option("--path", "path", default=None, help="v3: request path, e.g. /v3/payment/acq.")
@click.option("--nonce", default=None, help="v3: nonce (default: 32 random hex characters).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["json", "curl"]),
    default="json",
    show_default=True,
    help="Headers as a JSON object or as curl -H lines.",
)
@at_option
@json_option
@handles_errors
def sign(
    key: Path,
    key_password: bytes | None,
    api: str,
    body: str,
    merchant_id: str | None,
    timestamp: str | None,
    app_id: str | None,
    method: str,
    path: str | None,
    nonce: str | None,
    output: str,
    at: dt.datetime | None,
    as_json: bool,
) -> None:
    """Sign a request body for PayKKa and print the headers to send with it.

    Send the body file exactly as signed, e.g. curl --data-binary @body.json.
    """
    if as_json and output == "curl":  # issue #14: --json means JSON, always
        raise click.UsageError("--format curl prints curl -H lines, not JSON: drop one of them")
    if api == "v3" and (app_id is None or path is None):
        raise click.UsageError("--api v3 needs --app-id and --path")
    private_key = read_private_key(key, password=key_password)
    raw = read_input(body, what="body")
    signed: SignedRequest
    if api == "v1.2":
        signed = PaykkaV12Signer(private_key).sign(
            raw, merchant_id=merchant_id, timestamp=timestamp, now=at
        )
    else:
        assert app_id is not None and path is not None
        if timestamp is not None and not re.fullmatch(r"[0-9]{1,19}", timestamp):
            raise click.UsageError("--timestamp must be milliseconds since the epoch")
        signed = PaykkaV3Signer(private_key, app_id=app_id).sign(
            method,
            path,
            raw,
            timestamp=int(timestamp) if timestamp is not None else None,
            nonce=nonce,
            now=at,
        )
    if output == "curl":
        click.echo(_curl_lines(signed))
    else:
        print_json({"api": api, "headers": dict(signed.headers)})


@click.command()
@click.option(
    "--public-key",
    required=True,
    type=existing_file,
    help="PayKKa's platform public key (PEM, DER or base64).",
)
@api_option
@click.option("--body", type=input_path, default="-", show_default=True, help="Raw body file.")
@click.option(
    "-H", "--header", "header_lines", multiple=True, help="A received header, 'Name: value'."
)
@click.option(
    "--headers-file",
    type=existing_file,
    default=None,
    help="The received headers as a JSON object.",
)
@click.option("--method", default="POST", show_default=True, help="v3: HTTP method.")
@click.option(
    "--path",
    "path",
    default=None,
    help="v3: the request's path (response) or your own webhook path (webhook).",
)
@click.option(
    "--merchant-id-field",
    "merchant_id_fields",
    multiple=True,
    help="v1.2: dotted body path of the signed merchant id (default: "
    + ", ".join(V12_DEFAULT_MERCHANT_ID_FIELDS)
    + ").",
)
@click.option(
    "--timestamp-field",
    "timestamp_fields",
    multiple=True,
    help="v1.2: dotted body path of the signed timestamp (default: "
    + ", ".join(V12_DEFAULT_TIMESTAMP_FIELDS)
    + ").",
)
@click.option(
    "--merchant-id",
    default=None,
    help="v1.2: YOUR merchant id; a message for another merchant is refused (required).",
)
@click.option(
    "--app-id",
    default=None,
    help="v3: YOUR x-paykka-appid; a message naming another app is refused (required).",
)
@click.option(
    "--window",
    type=Duration(),
    default=None,
    help="Largest accepted clock difference (v3 default 5m; v1.2 default: not checked).",
)
@at_option
@json_option
@handles_errors
def verify(
    public_key: Path,
    api: str,
    body: str,
    header_lines: tuple[str, ...],
    headers_file: Path | None,
    method: str,
    path: str | None,
    merchant_id_fields: tuple[str, ...],
    timestamp_fields: tuple[str, ...],
    merchant_id: str | None,
    app_id: str | None,
    window: dt.timedelta | None,
    at: dt.datetime | None,
    as_json: bool,
) -> None:
    """Verify a PayKKa response or notification/webhook signature.

    Exit status 0 when authentic, 1 when rejected (recipient_mismatch: authentic, but for
    another merchant or app).
    """
    # review (#11): PayKKa signs every merchant's messages with one platform key, so a
    # verification without the recipient would accept another merchant's notification.
    if api == "v1.2" and merchant_id is None:
        raise click.UsageError(
            "--api v1.2 needs --merchant-id: your PayKKa merchant id (a notification for "
            "another merchant carries a valid PayKKa signature too)"
        )
    if api == "v3" and (app_id is None or path is None):
        raise click.UsageError("--api v3 needs --app-id (your x-paykka-appid) and --path")
    headers = _headers(header_lines, headers_file)
    key = read_public_key(public_key)
    raw = read_input(body, what="body")
    result: dict[str, Any] = {"valid": True, "api": api}
    if api == "v1.2":
        assert merchant_id is not None
        if window is None:
            warn(
                "no --window: v1.2 documents no time limit, so an old notification replayed "
                "to you verifies; pass e.g. --window 24h (see docs/paykka-sign.md)"
            )
        verifier = PaykkaV12Verifier(
            key,
            merchant_id=merchant_id,
            merchant_id_fields=merchant_id_fields or V12_DEFAULT_MERCHANT_ID_FIELDS,
            timestamp_fields=timestamp_fields or V12_DEFAULT_TIMESTAMP_FIELDS,
            window=window,
        )
        message = verifier.verify(headers, raw, now=at)
        result.update(merchant_id=message.merchant_id, timestamp=message.timestamp)
    else:
        assert app_id is not None and path is not None
        v3 = PaykkaV3Verifier(key, app_id=app_id, window=window or DEFAULT_WINDOW)
        message = v3.verify(method, path, headers, raw, now=at)
        result.update(timestamp=message.timestamp, nonce=message.nonce)
    if as_json:
        print_json(result)
    else:
        click.echo(f"valid: PayKKa {api} signature verified (timestamp {message.timestamp})")


def _headers(lines: tuple[str, ...], headers_file: Path | None) -> dict[str, str]:
    headers = parse_header_lines(lines)
    if headers_file is not None:
        try:
            document = json.loads(headers_file.read_bytes())
        except OSError as exc:
            raise click.UsageError(f"cannot read --headers-file: {exc.strerror}") from None
        except (ValueError, RecursionError):
            # No decoder text (review (#11)): it quotes bytes of the file.
            raise click.UsageError("--headers-file is not a JSON object") from None
        if not isinstance(document, dict) or not all(isinstance(v, str) for v in document.values()):
            raise click.UsageError("--headers-file must be a JSON object of strings")
        for name, value in document.items():
            if name.lower() in headers:
                raise click.UsageError(f"the header {name!r} is given twice")
            headers[name.lower()] = value
    return headers
