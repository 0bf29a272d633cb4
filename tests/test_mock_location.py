"""The create answer's Location header (mock_seller/api/location.py) is written as werkzeug
writes it, with the host's conversion done once per origin."""

from __future__ import annotations

from flask import Response
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import create_environ
from werkzeug.urls import iri_to_uri

from mock_seller.api.location import SellerResponse, location_uri

_hosts = st.sampled_from(["127.0.0.1", "127.0.0.1:8080", "LOCALHOST:08080", "Seller.Example",
                          "xn--n3h.net", "b\u00fccher.example", "[::1]:9", "a@b", "h:0"])
_paths = st.text(alphabet=st.sampled_from("aZ09-._~%!$&'()*+,/:;=@?#\u00e5 \t"), max_size=30)


@settings(max_examples=400, deadline=None)
@given(scheme=st.sampled_from(["http", "https", "ftp"]), host=_hosts, path=_paths)
def test_location_uri_is_iri_to_uri(scheme: str, host: str, path: str) -> None:
    location = f"{scheme}://{host}/{path}"
    try:
        expected = iri_to_uri(location)
    except ValueError as exc:  # e.g. a port out of range: the same error either way
        expected = type(exc).__name__
    try:
        got = location_uri(location)
    except ValueError as exc:
        got = type(exc).__name__
    assert got == expected


def test_the_headers_are_werkzeugs_in_werkzeugs_order() -> None:
    environ = create_environ("/p", "http://127.0.0.1:8080/")
    for status, path in ((201, "p/1"), (201, "p/\u00e5"), (204, "p/1"), (302, "p/1")):
        headers = {"X-A": "1", "Location": f"http://Seller.Example:8080/{path}", "X-B": "2"}
        ours = SellerResponse(b"{}", status, headers=headers)
        theirs = Response(b"{}", status, headers=headers)
        assert ours.get_wsgi_headers(environ).to_wsgi_list() == \
            theirs.get_wsgi_headers(environ).to_wsgi_list()
        assert list(ours.headers) == list(theirs.headers)  # the response itself unchanged
