"""The ISO 4217 table: shape, well-known entries, minor units, refusals."""

from __future__ import annotations

import pytest

from paykka_sign import (
    InvalidArgumentError,
    UnknownCurrencyError,
    by_alpha,
    by_numeric,
    format_minor_units,
)
from paykka_sign import currency as currency_module


def test_table_shape() -> None:
    numeric = currency_module._BY_NUMERIC
    assert len(numeric) > 150
    for code, entry in numeric.items():
        assert code == entry.numeric and len(code) == 3 and code.isdigit()
        assert len(entry.alpha) == 3 and entry.alpha.isalpha() and entry.alpha.isupper()
        assert entry.minor_units in (0, 2, 3, 4)
        assert by_alpha(entry.alpha) == entry


@pytest.mark.parametrize(
    ("numeric", "alpha", "minor"),
    [
        ("978", "EUR", 2),
        ("840", "USD", 2),
        ("826", "GBP", 2),
        ("156", "CNY", 2),
        ("344", "HKD", 2),
        ("392", "JPY", 0),
        ("410", "KRW", 0),
        ("048", "BHD", 3),
        ("414", "KWD", 3),
        ("990", "CLF", 4),
        ("952", "XOF", 0),
        ("532", "XCG", 2),
        ("924", "ZWG", 2),
    ],
)
def test_known_currencies(numeric: str, alpha: str, minor: int) -> None:
    assert (by_numeric(numeric).alpha, by_numeric(numeric).minor_units) == (alpha, minor)
    assert by_alpha(alpha.lower()).numeric == numeric


def test_withdrawn_code_sharing_a_numeric_code() -> None:
    assert by_alpha("ANG").numeric == by_alpha("XCG").numeric == "532"
    assert by_numeric("532").alpha == "XCG"


@pytest.mark.parametrize("code", ["999", "963", "000", "97", "EUR", ""])
def test_unknown_numeric(code: str) -> None:
    with pytest.raises(UnknownCurrencyError) as info:
        by_numeric(code)
    assert info.value.code == "unknown_currency"


@pytest.mark.parametrize("code", ["XXX", "XAU", "HRK", "EURO", "978", ""])
def test_unknown_alpha(code: str) -> None:
    with pytest.raises(UnknownCurrencyError):
        by_alpha(code)


def test_format_minor_units() -> None:
    assert format_minor_units(10, by_alpha("EUR")) == "0.10"
    assert format_minor_units(0, by_alpha("EUR")) == "0.00"
    assert format_minor_units(123456, by_alpha("USD")) == "1234.56"
    assert format_minor_units(500, by_alpha("JPY")) == "500"
    assert format_minor_units(1005, by_alpha("KWD")) == "1.005"
    assert format_minor_units(12345, by_alpha("CLF")) == "1.2345"
    for bad in (-1, True, 1.5):
        with pytest.raises(InvalidArgumentError):
            format_minor_units(bad, by_alpha("EUR"))  # type: ignore[arg-type]
