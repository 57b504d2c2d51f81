"""A pre-scan of the token's CMS bytes: explicit bounds before any BER parser sees them.

asn1crypto bounds indefinite-length nesting per parse call, but descends into
definite-length nesting as deep as the bytes go when a value is read (``.native``,
``dump(force=True)``), and ends in ``RecursionError`` somewhere inside it. An Apple
signature is about 2.2 KiB, 10 levels deep and about 220 elements; this scan walks
the TLV tree once, without recursion, and refuses anything far outside that shape:

- nesting deeper than ``max_depth`` (definite or indefinite length),
- more than ``max_elements`` elements,
- a tag number longer than 4 bytes, a length field longer than 4 bytes, the reserved
  length byte 0xFF, an indefinite length on a primitive element,
- a length running past its parent or the input, an end-of-contents marker outside an
  indefinite-length element, a missing one, bytes after the outer element.

Only the tag/length structure is checked, not what the values mean; primitive contents
(OCTET STRING, BIT STRING) are not looked into.
"""

from __future__ import annotations

from .errors import SignatureInvalidError

__all__ = ["MAX_DEPTH", "MAX_ELEMENTS", "check_ber"]

#: Apple's signatures nest 10 levels (ContentInfo down to a certificate's attribute values).
MAX_DEPTH = 32
#: Apple's signatures hold about 220 elements, two certificates included.
MAX_ELEMENTS = 2048

_INDEFINITE = -1


def _refuse(problem: str) -> SignatureInvalidError:
    return SignatureInvalidError(f"the signature's BER encoding {problem}", step="1 CMS")


def check_ber(data: bytes, *, max_depth: int = MAX_DEPTH, max_elements: int = MAX_ELEMENTS) -> None:
    """Raise :class:`SignatureInvalidError` unless ``data`` is one well-nested BER element
    within the limits."""
    size = len(data)
    if not size:
        raise _refuse("is empty")
    ends: list[int] = []  # the end offset of each open constructed element, or _INDEFINITE
    position = 0
    elements = 0
    while True:
        if ends:
            end = ends[-1]
            if end == _INDEFINITE:
                if data[position : position + 2] == b"\x00\x00":
                    ends.pop()
                    position += 2
                    continue
            elif position == end:
                ends.pop()
                continue
        elif position:
            break  # the outer element is complete
        if position >= size:
            raise _refuse("ends inside an element")
        elements += 1
        if elements > max_elements:
            raise _refuse(f"holds more than {max_elements} elements")
        first = data[position]
        position += 1
        if first & 0x1F == 0x1F:  # high tag number form: base-128 digits
            for _ in range(4):
                if position >= size:
                    raise _refuse("ends inside a tag")
                digit = data[position]
                position += 1
                if not digit & 0x80:
                    break
            else:
                raise _refuse("has a tag number longer than 4 bytes")
        elif first == 0 and position < size and data[position] == 0:
            raise _refuse("has an end-of-contents marker outside an indefinite-length element")
        if position >= size:
            raise _refuse("ends before a length")
        length = data[position]
        position += 1
        constructed = bool(first & 0x20)
        if length == 0x80:
            if not constructed:
                raise _refuse("gives a primitive element an indefinite length")
            content_end = _INDEFINITE
        else:
            if length == 0xFF:
                raise _refuse("uses the reserved length byte 0xFF")
            if length & 0x80:
                count = length & 0x7F
                if count > 4:
                    raise _refuse("has a length field longer than 4 bytes")
                if position + count > size:
                    raise _refuse("ends inside a length")
                length = int.from_bytes(data[position : position + count], "big")
                position += count
            content_end = position + length
            limit = size if not ends or ends[-1] == _INDEFINITE else ends[-1]
            if content_end > limit:
                raise _refuse("has a length running past its container")
        if constructed:
            ends.append(content_end)
            if len(ends) > max_depth:
                raise _refuse(f"nests deeper than {max_depth} levels")
        else:
            position = content_end
    if position != size:
        raise _refuse("has bytes after the signature")
