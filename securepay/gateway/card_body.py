"""Request bodies that hold card data, built without a Python ``str`` of any card field.

A body is serialized with placeholder slots, then the card's own byte buffers are
copied into one preallocated ``bytearray`` that the client wipes once the call is
settled. Placeholders begin with NUL, which no other field can contain after the item
text is cleaned and the body encoded, so a slot can only ever match its own place.
"""

from collections.abc import Sequence

CardPiece = bytes | bytearray


def splice(template: bytes, slots: Sequence[tuple[bytes, Sequence[CardPiece]]]) -> bytearray:
    """Replace each slot (in template order) with the concatenation of its pieces.

    The result is allocated once at its final size, so no intermediate, reallocated copy
    of the card digits is left in freed memory.
    """
    pieces: list[CardPiece] = []
    rest = template
    for slot, values in slots:
        if template.count(slot) != 1:
            raise RuntimeError("request template must hold exactly one slot per card field")
        before, _, rest = rest.partition(slot)
        pieces.extend((before, *values))
    pieces.append(rest)
    body = bytearray(sum(len(piece) for piece in pieces))
    position = 0
    for piece in pieces:
        body[position : position + len(piece)] = piece
        position += len(piece)
    return body


def wipe(buffer: bytearray) -> None:
    """Overwrite in place, so no copy of the card digits is left behind by this buffer."""
    buffer[:] = bytes(len(buffer))
