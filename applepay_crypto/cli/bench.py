"""``bench``: tokens per second, the cryptographic floor, their ratio, cold latency, batch."""

from __future__ import annotations

from typing import Any

import click

from ..bench import run_benchmarks
from ._common import handles_errors, json_option, print_json
from ._keys import KeySource, key_option


def _print(report: dict[str, Any]) -> None:
    machine = report["machine"]
    click.echo(
        f"machine: {machine['cores']} cores, {machine['cpu']}, Python {machine['python']}, "
        f"{machine['openssl']}, cryptography {machine['cryptography']}"
    )
    for version in ("ec_v1", "rsa_v1"):
        warm = report[version]
        cold = report["cold"][version]
        name = "EC_v1" if version == "ec_v1" else "RSA_v1"
        click.echo(
            f"{name:7} warm {warm['tokens_per_second']:>6} tokens/s  {warm['full_us']:>7} us/token"
            f"  floor {warm['floor_us']:>7} us  ratio {warm['ratio']:.2f}"
            f" (no Python code goes below {warm['bare_ratio']:.2f})"
            f"  cold first token {cold['first_token_ms']} ms"
        )
    held = report.get("key")
    if held is not None:
        in_process = report[held["version"].lower()]["tokens_per_second"]
        click.echo(
            f"{held['version']:7} key  {held['tokens_per_second']:>6} tokens/s  "
            f"{held['full_us']:>7} us/token  ({held['key']}; in process "
            f"{in_process} tokens/s, x{held['tokens_per_second'] / in_process:.2f})"
        )
    batch = report["batch"]
    click.echo(
        f"batch   {batch['single_tokens_per_second']} tokens/s in 1 process, "
        f"{batch['parallel_tokens_per_second']} with {batch['workers']} workers "
        f"(x{batch['speedup']}; this machine gives {batch['workers']} independent processes "
        f"x{batch['machine_scaling']})"
    )


@click.command()
@click.option("--quick", is_flag=True, help="Fewer tokens and rounds: a rough figure in seconds.")
@key_option(
    "--key",
    default=None,
    help="Also measure with this key (e.g. in a PKCS#11 token), on tokens minted to its "
    "public key; the in-process figures are measured as without it.",
)
@json_option
@handles_errors(setup=True)
def bench(quick: bool, key: KeySource | None, as_json: bool) -> None:
    """Measure verified decryption against the cost of the primitives, in one run."""
    report = run_benchmarks(quick=quick, key=key.held() if key is not None else None)
    if as_json:
        print_json(report)
    else:
        _print(report)
