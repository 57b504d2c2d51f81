"""Reading Apple's detached CMS SignedData: a full parse, and a cache for the repeats.

The full parse uses asn1crypto, which reads Apple's BER (indefinite lengths) and keeps
the original bytes. It costs a few hundred microseconds, most of it spent re-reading
bytes that are the same in every token: the same two Apple certificates, the same
algorithms, the same attribute layout. Only three primitive values change from one token
to the next: the signing time, the message digest and the signature value.

So after a full parse the :class:`LayoutCache` remembers the token's *layout*: its bytes
with those three value regions cut out. A later signature whose bytes equal a known
layout everywhere outside the three regions has, byte for byte, the structure asn1crypto
already parsed and checked; only the three values are read, and the signature is then
verified exactly as after a full parse. Anything else takes the full parse.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, NamedTuple

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509

from .ber import check_ber
from .errors import SignatureInvalidError

__all__ = ["LayoutCache", "SignedData", "parse_signed_data"]

# AttributeError: asn1crypto cannot re-encode some values, e.g. one tagged INSTANCE OF
# (found by fuzzing, #7).
_EMPTY_NAME = asn1_x509.Name.build({"common_name": "warm-up"})
_ASN1_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
)


class SignedData(NamedTuple):
    """What the verifier needs from the CMS, pulled out once (a tuple: cheap to build on
    the hot path, immutable)."""

    certificates: tuple[bytes, ...]
    signer_issuer: bytes  # DER of the SignerInfo's issuer Name
    signer_serial: int
    digest_algorithm: str
    signature_algorithm: str
    signature: bytes
    signed_attributes: bytes  # DER, re-tagged as SET OF (0x31): what was signed
    content_type: str | None
    message_digest: bytes | None
    signing_time: dt.datetime | None
    algorithm_protection: tuple[str, str] | None  # (digest, signature) per RFC 6211


def cms_error(message: str) -> SignatureInvalidError:
    return SignatureInvalidError(message, step="1 CMS")


def parse_signed_data(signature: bytes) -> SignedData:
    """Read the detached CMS SignedData (BER) and check its shape: one signer, no content."""
    return _parse(signature)[0]


def _parse(signature: bytes) -> tuple[SignedData, Any]:
    check_ber(signature)  # fuzzing (#7): bounded depth and lengths before asn1crypto reads it
    try:
        return _parse_with_asn1crypto(signature)
    except SignatureInvalidError:
        raise
    except _ASN1_ERRORS:
        raise cms_error("the signature is not a readable CMS SignedData structure") from None


def _parse_with_asn1crypto(signature: bytes) -> tuple[SignedData, Any]:
    info = cms.ContentInfo.load(signature, strict=True)
    if info["content_type"].native != "signed_data":
        raise cms_error("the signature is not a CMS SignedData")
    signed = info["content"]
    encap = signed["encap_content_info"]
    if encap["content_type"].native != "data" or encap["content"].native is not None:
        raise cms_error("the signature must be detached over id-data content")
    signers = signed["signer_infos"]
    if len(signers) != 1:
        raise cms_error(f"the signature has {len(signers)} signers; Apple's has exactly one")
    signer = signers[0]
    sid = signer["sid"]
    if sid.name != "issuer_and_serial_number":
        raise cms_error("the signer is not identified by issuer and serial number")
    certificates = tuple(
        choice.chosen.dump() for choice in signed["certificates"] if choice.name == "certificate"
    )
    signed_attrs = signer["signed_attrs"]
    if not signed_attrs.contents:
        raise cms_error("the signature has no signed attributes")
    attributes = _attributes(signed_attrs)
    protection = attributes.get("cms_algorithm_protection")
    parsed = SignedData(
        certificates=certificates,
        signer_issuer=sid.chosen["issuer"].dump(),
        signer_serial=sid.chosen["serial_number"].native,
        digest_algorithm=signer["digest_algorithm"]["algorithm"].native,
        signature_algorithm=signer["signature_algorithm"]["algorithm"].native,
        signature=signer["signature"].native,
        # The signature covers the DER encoding of the attributes with the SET OF tag,
        # not the [0] IMPLICIT tag they carry inside SignerInfo (RFC 5652, 5.4).
        signed_attributes=signed_attrs.untag().dump(force=True),
        content_type=_native(attributes.get("content_type")),
        message_digest=_native(attributes.get("message_digest")),
        signing_time=_native(attributes.get("signing_time")),
        algorithm_protection=(
            (
                protection["digest_algorithm"]["algorithm"].native,
                protection["signature_algorithm"]["algorithm"].native,
            )
            if protection is not None
            else None
        ),
    )
    return parsed, signer


def _native(value: Any) -> Any:
    return value.native if value is not None else None


def _attributes(signed_attrs: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for attribute in signed_attrs:
        name = attribute["type"].native
        values = attribute["values"]
        if name in found or len(values) != 1:
            raise cms_error(f"signed attribute {name} must appear once with one value")
        found[name] = values[0]
    return found


@functools.lru_cache(maxsize=1)
def warm_up() -> None:
    """Parse a small synthetic SignedData once, at configuration time: asn1crypto builds its
    type specifications lazily, and the first real token should not pay for that."""
    attributes = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute(
                {
                    "type": "signing_time",
                    "values": [
                        cms.Time({"utc_time": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)})
                    ],
                }
            ),
            cms.CMSAttribute({"type": "message_digest", "values": [bytes(32)]}),
        ]
    )
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {"issuer_and_serial_number": {"issuer": _EMPTY_NAME, "serial_number": 1}}
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": attributes,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": b"\x00",
        }
    )
    sample = cms.ContentInfo(
        {
            "content_type": "signed_data",
            "content": {
                "version": "v1",
                "digest_algorithms": [{"algorithm": "sha256"}],
                "encap_content_info": {"content_type": "data"},
                "signer_infos": [signer],
            },
        }
    ).dump()
    _parse_with_asn1crypto(sample)


@functools.lru_cache(maxsize=1024)
def _utc_time(contents: bytes) -> dt.datetime:
    # Tokens signed in the same second share this value: decode it once.
    return core.UTCTime.load(b"\x17" + bytes((len(contents),)) + contents).native  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class _Layout:
    """A known signature layout: fixed byte runs and the three variable value regions."""

    size: int
    #: The bytes outside the three variable regions, run by run, and where each starts.
    fixed_runs: tuple[bytes, ...]
    fixed_starts: tuple[int, ...]
    signing_time: tuple[int, int]
    message_digest: tuple[int, int]
    signature: tuple[int, int]
    attributes: tuple[int, int]  # the [0] signed attributes element, header included
    parsed: SignedData
    context: Any

    def matches(self, signature: bytes) -> bool:
        if len(signature) != self.size:
            return False
        # startswith at an offset compares in place, without slicing; with the size fixed,
        # each fixed run must then equal its bytes exactly. map and all run in C.
        return all(map(signature.startswith, self.fixed_runs, self.fixed_starts))

    def read(self, signature: bytes) -> SignedData:
        time_start, time_end = self.signing_time
        digest_start, digest_end = self.message_digest
        sig_start, sig_end = self.signature
        attr_start, attr_end = self.attributes
        try:
            signing_time = _utc_time(signature[time_start:time_end])
        except _ASN1_ERRORS:
            raise cms_error("the signing-time attribute is not a valid UTCTime") from None
        base = self.parsed
        return SignedData(
            certificates=base.certificates,
            signer_issuer=base.signer_issuer,
            signer_serial=base.signer_serial,
            digest_algorithm=base.digest_algorithm,
            signature_algorithm=base.signature_algorithm,
            signature=signature[sig_start:sig_end],
            signed_attributes=b"\x31" + signature[attr_start + 1 : attr_end],
            content_type=base.content_type,
            message_digest=signature[digest_start:digest_end],
            signing_time=signing_time,
            algorithm_protection=base.algorithm_protection,
        )


def _locate(signature: bytes, parsed: SignedData, signer: Any) -> dict[str, tuple[int, int]] | None:
    """Byte offsets of the signed attributes and the three variable values, or ``None`` when
    the layout is not the simple one (definite-length DER SignerInfo at the end)."""
    signer_raw = signer.dump()
    signer_start = signature.rfind(signer_raw)
    if signer_start < 0 or signer["unsigned_attrs"].native is not None:
        return None
    attrs = signer["signed_attrs"]
    attrs_raw = attrs.dump()
    attrs_start = signer_start + signer_raw.find(attrs_raw)
    if b"\x31" + attrs_raw[1:] != parsed.signed_attributes:
        return None  # not DER as received: only the full parse re-encodes it correctly
    regions = {"attributes": (attrs_start, attrs_start + len(attrs_raw))}
    offset = attrs_start + len(attrs_raw) - len(attrs.contents)
    for attribute in attrs:
        raw = attribute.dump()
        end = offset + len(raw)
        name = attribute["type"].native
        value = attribute["values"][0]
        if name == "signing_time":
            if value.name != "utc_time" or len(value.chosen.contents) != 13:
                return None
            regions[name] = (end - 13, end)
        elif name == "message_digest":
            regions[name] = (end - len(value.contents), end)
        offset = end
    signature_value = signer["signature"].contents
    signer_end = signer_start + len(signer_raw)
    regions["signature"] = (signer_end - len(signature_value), signer_end)
    if set(regions) != {"attributes", "signing_time", "message_digest", "signature"}:
        return None
    return regions


class LayoutCache:
    """Bounded cache of signature layouts, each with the caller's ``context`` (for the
    verifier: the parsed certificates whose checks already passed)."""

    def __init__(self, size: int = 64) -> None:
        self._layouts: OrderedDict[int, list[_Layout]] = OrderedDict()
        self._size = size
        self._count = 0
        self._lock = threading.Lock()

    def parse(self, signature: bytes) -> tuple[SignedData, Any, Any]:
        """``(signed data, context, pending)``. After a full parse ``context`` is ``None``:
        the caller checks what it needs and may then ``learn(pending, context)``."""
        for layout in self._layouts.get(len(signature), ()):
            if layout.matches(signature):
                return layout.read(signature), layout.context, None
        parsed, signer = _parse(signature)
        return parsed, None, (signature, parsed, signer)

    def learn(self, pending: Any, context: Any) -> None:
        """Remember the layout of a fully parsed signature whose checks passed."""
        signature, parsed, signer = pending
        regions = _locate(signature, parsed, signer)
        if regions is None:
            return
        variable = sorted(
            (regions["signing_time"], regions["message_digest"], regions["signature"])
        )
        starts, ends = [0], []
        for start, end in variable:
            ends.append(start)
            starts.append(end)
        ends.append(len(signature))
        layout = _Layout(
            size=len(signature),
            fixed_runs=tuple(signature[start:end] for start, end in zip(starts, ends, strict=True)),
            fixed_starts=tuple(starts),
            signing_time=regions["signing_time"],
            message_digest=regions["message_digest"],
            signature=regions["signature"],
            attributes=regions["attributes"],
            parsed=parsed,
            context=context,
        )
        if layout.read(signature) != parsed:
            return  # the fast read must give what the full parse gave, or it is not used
        with self._lock:
            bucket = self._layouts.setdefault(len(signature), [])
            if any(
                (existing.fixed_runs, existing.fixed_starts)
                == (layout.fixed_runs, layout.fixed_starts)
                for existing in bucket
            ):
                return
            bucket.append(layout)
            self._count += 1
            while self._count > self._size:
                _, evicted = self._layouts.popitem(last=False)
                self._count -= len(evicted)

    def __len__(self) -> int:
        return self._count
