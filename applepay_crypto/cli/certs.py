"""``cert inspect`` and ``cert convert``: the merchant's certificates (.cer, PEM, .p12)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal, cast

import click

from .._timetext import utc_text
from ..errors import ConfigurationError
from ..merchant.certfiles import (
    convert_certificate,
    export_pkcs12,
    read_certificate_file,
    write_private_key,
)
from ..merchant.certinfo import CertificateReport, inspect_file
from ..merchant.certs import describe_key
from ._common import (
    EXIT_REJECTED,
    force_option,
    handles_errors,
    json_option,
    print_json,
    table,
    warn,
)
from ._keys import KeySource, key_option
from .params import Timestamp

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_FORMATS = {
    ".pem": "pem",
    ".crt": "pem",
    ".cer": "der",
    ".der": "der",
    ".p12": "p12",
    ".pfx": "p12",
}

password_option = click.option(
    "--password",
    envvar="APPLEPAY_P12_PASSWORD",
    default=None,
    help="Password of the .p12 file (or set APPLEPAY_P12_PASSWORD).",
)


def read_password(value: str | None) -> bytes | None:
    return value.encode("utf-8") if value is not None else None


@click.group()
def cert() -> None:
    """Inspect and convert merchant certificates (Apple's .cer, PEM, .p12)."""


@cert.command("inspect")
@click.argument("file", type=_FILE)
@key_option("--key", default=None, help="Private key to check against it.")
@password_option
@click.option(
    "--at", type=Timestamp(), default=None, help="Count validity from this time instead of now."
)
@click.option(
    "--warn-days",
    type=click.IntRange(0),
    default=None,
    metavar="N",
    help="Exit 1 also when the certificate expires within N days (for a cron job).",
)
@json_option
@handles_errors
def inspect_command(
    file: Path,
    key: KeySource | None,
    password: str | None,
    at: dt.datetime | None,
    warn_days: int | None,
    as_json: bool,
) -> None:
    """What FILE (.cer, PEM or .p12) is, its merchant id, key, validity and publicKeyHash.

    Exit status 1 when the certificate has expired, the key does not belong to it, or
    (with --warn-days N) it expires within N days; 0 otherwise.
    """
    held = key.held() if key is not None and (key.in_token or key.password) else None
    report = inspect_file(
        file,
        password=read_password(password),
        key=held if held is not None else (key.path if key is not None else None),
        now=at,
    )
    soon = warn_days is not None and not report.expired and report.days_left < warn_days
    if as_json:
        document = report.to_json_dict()
        if warn_days is not None:
            document.update(warn_days=warn_days, expires_soon=soon)
        print_json(document)
    else:
        _print_report(report)
        if soon:
            warn(f"expires within {warn_days} days (--warn-days {warn_days}): renew it")
    if report.expired or report.key_matches is False or soon:
        raise SystemExit(EXIT_REJECTED)


def _print_report(report: CertificateReport) -> None:
    agreement = {True: "agrees with the UID", False: "DIFFERS from the UID", None: None}
    id_hash = report.merchant_id_hash
    state = (
        f"EXPIRED {-report.days_left} days ago"
        if report.expired
        else f"{report.days_left} days left"
    )
    table(
        [
            ("kind", report.label + ("" if report.kind_certain else " (probably)")),
            ("because", report.kind_basis),
            ("subject", report.subject),
            ("issuer", report.issuer),
            ("merchant id", report.merchant_id and f"{report.merchant_id} (subject UID)"),
            (
                "merchant id hash",
                id_hash
                and f"{id_hash} (extension 1.2.840.113635.100.6.32"
                + (f", {agreement[report.merchant_id_agrees]})" if report.merchant_id else ")"),
            ),
            ("key", report.key),
            ("valid", f"{_iso(report.not_before)} .. {_iso(report.not_after)} ({state})"),
            ("publicKeyHash", _hash_line(report)),
            ("private key", _key_note(report.key_matches)),
            ("sha256", report.sha256),
            ("file", report.file_format),
        ]
    )
    for message in report.warnings:
        warn(message)


def _hash_line(report: CertificateReport) -> str | None:
    if report.kind == "payment_processing":
        return f"{report.public_key_hash} (tokens encrypted to this certificate carry it)"
    if report.kind == "merchant_identity":
        return f"{report.public_key_hash} (no token carries it: not a payment processing cert)"
    return None  # meaningless for CAs and Apple's signing certificates


def _key_note(matches: bool | None) -> str | None:
    if matches is None:
        return None
    return "belongs to this certificate" if matches else "does NOT belong to this certificate"


def _iso(moment: dt.datetime) -> str:
    return utc_text(moment)


@cert.command("convert")
@click.argument("source", type=_FILE)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The file to write; its suffix picks the format unless --to is given.",
)
@click.option(
    "--to",
    "to",
    type=click.Choice(["pem", "der", "p12"]),
    default=None,
    help="Output format: pem (.pem/.crt), der (.cer/.der) or p12 (.p12/.pfx).",
)
@click.option("--key", type=_FILE, default=None, help="Private key to bundle into a .p12.")
@click.option(
    "--key-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the private key held by SOURCE (.p12) as PEM, mode 0600.",
)
@password_option
@click.option(
    "--legacy", is_flag=True, help="3DES/SHA-1 .p12 for older Keychain and Java versions."
)
@click.option("--name", default=None, help="Friendly name stored in the .p12.")
@force_option
@json_option
@handles_errors(setup=True)
def convert_command(
    source: Path,
    out: Path,
    to: str | None,
    key: Path | None,
    key_out: Path | None,
    password: str | None,
    legacy: bool,
    name: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Convert SOURCE: Apple's .cer to PEM, key + certificate to .p12, .p12 to PEM files.

    \b
      cert convert apple_pay.cer --out merchant.pem
      cert convert merchant.pem --key merchant.key --out merchant.p12
      cert convert merchant.p12 --out merchant.pem --key-out merchant.key
    """
    fmt = to or _FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise click.UsageError(f"cannot tell the format from {out.name!r}: add --to pem|der|p12")
    secret = read_password(password)
    written: list[tuple[Path, str]] = []
    if fmt == "p12":
        written.append(_to_p12(source, key, out, password, legacy, name, force))
    else:
        if key is not None:
            raise click.UsageError("--key only goes into a .p12; PEM and DER hold the certificate")
        convert_certificate(
            source, out, to=cast(Literal["pem", "der"], fmt), password=secret, overwrite=force
        )
        written.append((out, f"certificate, {fmt.upper()}"))
    if key_out is not None:
        written.append(_key_out(source, secret, key_out, force))
    elif fmt != "p12" and read_certificate_file(source, password=secret).private_key is not None:
        warn(f"{source.name} also holds a private key; add --key-out FILE to write it")
    _report_written(written, as_json)


def _to_p12(
    source: Path,
    key: Path | None,
    out: Path,
    password: str | None,
    legacy: bool,
    name: str | None,
    force: bool,
) -> tuple[Path, str]:
    if not password:
        password = click.prompt(
            "Password for the .p12", hide_input=True, confirmation_prompt=True, err=True
        )
    secret = read_password(password)
    loaded = read_certificate_file(source, password=secret)
    private_key: Any = key if key is not None else loaded.private_key
    if private_key is None:
        raise ConfigurationError(
            f"a .p12 needs the private key: add --key KEY ({source.name} has none)"
        )
    assert secret is not None
    export_pkcs12(
        private_key,
        loaded.certificate,
        out,
        password=secret,
        name=name,
        legacy=legacy,
        overwrite=force,
    )
    return out, "PKCS#12 with the private key, mode 0600"


def _key_out(source: Path, secret: bytes | None, key_out: Path, force: bool) -> tuple[Path, str]:
    loaded = read_certificate_file(source, password=secret)
    if loaded.private_key is None:
        raise ConfigurationError(f"{source.name} holds no private key for --key-out")
    write_private_key(loaded.private_key, key_out, overwrite=force)
    return key_out, f"{describe_key(loaded.private_key)} private key, PKCS#8 PEM, mode 0600"


def _report_written(written: list[tuple[Path, str]], as_json: bool) -> None:
    if as_json:
        print_json({"written": [{"path": str(p), "what": what} for p, what in written]})
        return
    for path, what in written:
        click.echo(f"wrote {path} ({what})")
