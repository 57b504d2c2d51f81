"""The doctor's findings: one per step, with a status, a library error code and a fix."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import ApplePayError

__all__ = ["INTERNAL_ERROR", "Finding", "Findings", "Status"]

Status = Literal["ok", "warning", "problem", "skipped"]
#: A code for failures that are bugs here rather than problems with the token or keys.
INTERNAL_ERROR = "internal_error"

_FIXES = {
    "malformed_token": "Pass the token exactly as the device sent it (paymentData, the "
    "PKPaymentToken or Apple Pay JS's payment object), without re-encoding it.",
    "unsupported_version": "Merchants receive EC_v1 (and RSA_v1 in China) tokens only; "
    "check that the input is an Apple Pay payment token.",
}


@dataclass(frozen=True)
class Finding:
    """One step's outcome; ``code`` is ``ok``, ``skipped`` or a library error code."""

    step: str
    status: Status
    code: str
    message: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass
class Findings:
    """The findings so far, in order; each helper records one."""

    items: list[Finding] = field(default_factory=list)

    def ok(self, step: str, message: str) -> None:
        self.items.append(Finding(step, "ok", "ok", message))

    def warning(self, step: str, code: str, message: str, fix: str | None = None) -> None:
        self.items.append(Finding(step, "warning", code, message, fix))

    def problem(self, step: str, code: str, message: str, fix: str | None = None) -> None:
        self.items.append(Finding(step, "problem", code, message, fix))

    def skipped(self, step: str, message: str) -> None:
        self.items.append(Finding(step, "skipped", "skipped", message))

    @contextmanager
    def guard(self, step: str, *, fix: str | None = None) -> Iterator[None]:
        """Record any exception of the enclosed code as a problem of ``step``."""
        try:
            yield
        except ApplePayError as exc:
            self.problem(step, exc.code, exc.message, fix or _FIXES.get(exc.code))
        except Exception as exc:  # a bug here must not hide the other findings
            self.problem(
                step,
                INTERNAL_ERROR,
                f"unexpected {type(exc).__name__} while checking this step (a bug in "
                "applepay-crypto: please report it)",
            )

    def failed_since(self, start: int) -> bool:
        return any(f.status == "problem" for f in self.items[start:])
