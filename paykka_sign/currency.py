"""ISO 4217: numeric code to alphabetic code and minor units.

Apple Pay tokens carry the numeric code (``currencyCode: "978"``) and the amount in minor
units; PayKKa and YabandPay want the alphabetic code. The table lists active currencies
(no funds codes for precious metals, testing or "no currency"): alpha, numeric, minor units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidArgumentError, UnknownCurrencyError

__all__ = ["Currency", "by_alpha", "by_numeric", "format_minor_units"]

_TABLE = """
AED 784 2  AFN 971 2  ALL 008 2  AMD 051 2  AOA 973 2  ARS 032 2  AUD 036 2  AWG 533 2
AZN 944 2  BAM 977 2  BBD 052 2  BDT 050 2  BGN 975 2  BHD 048 3  BIF 108 0  BMD 060 2
BND 096 2  BOB 068 2  BOV 984 2  BRL 986 2  BSD 044 2  BTN 064 2  BWP 072 2  BYN 933 2
BZD 084 2  CAD 124 2  CDF 976 2  CHE 947 2  CHF 756 2  CHW 948 2  CLF 990 4  CLP 152 0
CNY 156 2  COP 170 2  COU 970 2  CRC 188 2  CUP 192 2  CVE 132 2  CZK 203 2  DJF 262 0
DKK 208 2  DOP 214 2  DZD 012 2  EGP 818 2  ERN 232 2  ETB 230 2  EUR 978 2  FJD 242 2
FKP 238 2  GBP 826 2  GEL 981 2  GHS 936 2  GIP 292 2  GMD 270 2  GNF 324 0  GTQ 320 2
GYD 328 2  HKD 344 2  HNL 340 2  HTG 332 2  HUF 348 2  IDR 360 2  ILS 376 2  INR 356 2
IQD 368 3  IRR 364 2  ISK 352 0  JMD 388 2  JOD 400 3  JPY 392 0  KES 404 2  KGS 417 2
KHR 116 2  KMF 174 0  KPW 408 2  KRW 410 0  KWD 414 3  KYD 136 2  KZT 398 2  LAK 418 2
LBP 422 2  LKR 144 2  LRD 430 2  LSL 426 2  LYD 434 3  MAD 504 2  MDL 498 2  MGA 969 2
MKD 807 2  MMK 104 2  MNT 496 2  MOP 446 2  MRU 929 2  MUR 480 2  MVR 462 2  MWK 454 2
MXN 484 2  MXV 979 2  MYR 458 2  MZN 943 2  NAD 516 2  NGN 566 2  NIO 558 2  NOK 578 2
NPR 524 2  NZD 554 2  OMR 512 3  PAB 590 2  PEN 604 2  PGK 598 2  PHP 608 2  PKR 586 2
PLN 985 2  PYG 600 0  QAR 634 2  RON 946 2  RSD 941 2  RUB 643 2  RWF 646 0  SAR 682 2
SBD 090 2  SCR 690 2  SDG 938 2  SEK 752 2  SGD 702 2  SHP 654 2  SLE 925 2  SOS 706 2
SRD 968 2  SSP 728 2  STN 930 2  SVC 222 2  SYP 760 2  SZL 748 2  THB 764 2  TJS 972 2
TMT 934 2  TND 788 3  TOP 776 2  TRY 949 2  TTD 780 2  TWD 901 2  TZS 834 2  UAH 980 2
UGX 800 0  USD 840 2  USN 997 2  UYI 940 0  UYU 858 2  UYW 927 4  UZS 860 2  VED 926 2
VES 928 2  VND 704 0  VUV 548 0  WST 882 2  XAF 950 0  XCD 951 2  XCG 532 2  XOF 952 0
XPF 953 0  YER 886 2  ZAR 710 2  ZMW 967 2  ZWG 924 2
"""

#: Alphabetic codes withdrawn recently whose numeric code lives on in a successor: an order
#: still priced in the old code matches a token carrying the shared numeric code.
_SHARED_NUMERIC = {"ANG": "XCG"}  # Netherlands Antillean -> Caribbean guilder (532), 2025


@dataclass(frozen=True)
class Currency:
    alpha: str
    numeric: str
    minor_units: int


def _load() -> tuple[dict[str, Currency], dict[str, Currency]]:
    by_alpha: dict[str, Currency] = {}
    by_numeric: dict[str, Currency] = {}
    for alpha, numeric, minor in re.findall(r"([A-Z]{3}) (\d{3}) (\d)", _TABLE):
        currency = Currency(alpha, numeric, int(minor))
        assert alpha not in by_alpha and numeric not in by_numeric, alpha
        by_alpha[alpha] = by_numeric[numeric] = currency
    for old, new in _SHARED_NUMERIC.items():
        successor = by_alpha[new]
        by_alpha[old] = Currency(old, successor.numeric, successor.minor_units)
    return by_alpha, by_numeric


_BY_ALPHA, _BY_NUMERIC = _load()


def _shown(code: object) -> str:
    # review (#11): repr() of a 5000-deep list recurses; a long string is no code anyway.
    if isinstance(code, str) and len(code) <= 8:
        return repr(code)
    return f"a {type(code).__name__}" if not isinstance(code, str) else "a long string"


def by_numeric(code: str) -> Currency:
    """The currency of a 3-digit ISO 4217 numeric code, as in an Apple Pay token."""
    currency = _BY_NUMERIC.get(code) if isinstance(code, str) else None
    if currency is None:
        raise UnknownCurrencyError(
            f"{_shown(code)} is not an active ISO 4217 numeric currency code"
        )
    return currency


def by_alpha(code: str) -> Currency:
    """The currency of a 3-letter ISO 4217 code (case-insensitive: ``eur`` is EUR)."""
    currency = _BY_ALPHA.get(code.upper()) if isinstance(code, str) else None
    if currency is None:
        raise UnknownCurrencyError(f"{_shown(code)} is not an active ISO 4217 currency code")
    return currency


def format_minor_units(amount: int, currency: Currency) -> str:
    """An amount in minor units as a decimal string in major units: 10 EUR cents -> "0.10"."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidArgumentError("an amount must be a non-negative integer of minor units")
    if not isinstance(currency, Currency):
        raise InvalidArgumentError("the currency must be a Currency (by_alpha, by_numeric)")
    if amount >= 10**30:
        raise InvalidArgumentError("the amount is larger than any payment")
    if currency.minor_units == 0:
        return str(amount)
    whole, fraction = divmod(amount, 10**currency.minor_units)
    return f"{whole}.{fraction:0{currency.minor_units}d}"
