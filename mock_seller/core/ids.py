"""Random identifiers (POQ ids, event ids)."""

from __future__ import annotations

import os

_VARIANT = "89ab"  # RFC 4122's variant: the top two bits of the 17th hex digit are 10


def uuid4() -> str:
    """``str(uuid.uuid4())`` in a third of its time (it builds a ``UUID`` object, then
    formats it), for the id every create makes."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"
