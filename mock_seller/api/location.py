"""The Location header of a create answer, made a URI once per origin instead of once per
answer: werkzeug converts it with ``iri_to_uri`` on every response, and the IDNA encoding of
the host in there costs about a twentieth of a create. The result is what werkzeug writes."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from flask import Response
from werkzeug.datastructures import Headers
from werkzeug.urls import iri_to_uri

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

#: An absolute http(s) URL whose host part is plain and whose path ``iri_to_uri`` keeps as
#: it is (unreserved characters and those it leaves unquoted; no query, no fragment).
_PLAIN = re.compile(r"(https?://[A-Za-z0-9.\-]+(?::[0-9]+)?)(/[A-Za-z0-9\-._~%!$&'()*+,/:;=@]*)")


@functools.lru_cache(maxsize=64)
def _origin_uri(origin: str) -> str:
    return iri_to_uri(origin)


def location_uri(location: str) -> str:
    """``iri_to_uri(location)``: the origin converted once, a plain path kept as it is."""
    plain = _PLAIN.fullmatch(location)
    if plain is None:
        return iri_to_uri(location)
    return _origin_uri(plain.group(1)) + plain.group(2)


class SellerResponse(Response):
    """A response that writes its Location header with ``location_uri``."""

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        status = self.status_code
        names = [key.lower() for key, _ in self.headers]
        if (names.count("location") != 1 or self.autocorrect_location_header
                or status < 200 or status in (204, 304)):  # werkzeug drops headers there
            return super().get_wsgi_headers(environ)
        at = names.index("location")
        location = self.headers["Location"]
        del self.headers["Location"]  # werkzeug leaves the other headers where they are
        try:
            headers = super().get_wsgi_headers(environ)
        finally:
            self.headers[at:at] = [("Location", location)]
        headers[at:at] = [("Location", location_uri(location))]
        return headers


__all__ = ["SellerResponse", "location_uri"]
