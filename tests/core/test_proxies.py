"""The client's address behind a trusted proxy, and never from anyone else's header."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from chaperone.core.proxies import TrustedProxies, client_ip

PROXY = "10.0.0.5"
BEHIND_PROXY = TrustedProxies.parse(header="X-Forwarded-For", proxies="10.0.0.5, 10.1.0.0/16")


def test_off_by_default_the_peer_is_the_client(settings) -> None:
    settings.CHAPERONE_PROXIES = TrustedProxies.parse(header="", proxies="")
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(request) == "127.0.0.1"


def test_the_trusted_proxys_header_names_the_client(settings) -> None:
    settings.CHAPERONE_PROXIES = BEHIND_PROXY
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(request) == "203.0.113.9"


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        # Anyone but the proxy may write the header; then it means nothing.
        ("198.51.100.20", "203.0.113.9", "198.51.100.20"),
        # The client wrote the left part itself; the proxy appended what it saw.
        (PROXY, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (PROXY, "not-an-address, 203.0.113.9", "203.0.113.9"),
        # Two proxies of ours in a row: skip both, from the right.
        (PROXY, "203.0.113.9, 10.1.2.3", "203.0.113.9"),
        # Ports and IPv6 as some proxies write them.
        (PROXY, "203.0.113.9:51234", "203.0.113.9"),
        (PROXY, "[2001:db8::7]:443", "2001:db8::7"),
        (PROXY, "2001:db8::7", "2001:db8::7"),
        # The proxy sent nothing, or something that is not an address: the peer, not a guess.
        (PROXY, "", PROXY),
        (PROXY, "203.0.113.9, garbage", PROXY),
        # Only proxies of ours: the furthest one.
        (PROXY, "10.1.9.9, 10.1.2.3", "10.1.9.9"),
    ],
)
def test_reading_the_header_from_the_right(remote: str, forwarded: str, client: str) -> None:
    assert BEHIND_PROXY.client_address(remote, forwarded) == client


def test_a_single_address_header_such_as_x_real_ip(settings) -> None:
    settings.CHAPERONE_PROXIES = TrustedProxies.parse(header="X-Real-IP", proxies="127.0.0.1")
    request = RequestFactory().get(
        "/",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="203.0.113.9",
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )
    assert client_ip(request) == "203.0.113.9"


@pytest.mark.parametrize(
    ("header", "proxies", "named"),
    [
        ("X-Forwarded-For", "", "CHAPERONE_TRUSTED_PROXIES is empty"),
        ("", "10.0.0.5", "CHAPERONE_CLIENT_IP_HEADER is empty"),
        ("X-Forwarded-For", "10.0.0.x", "'10.0.0.x' is not an IP address"),
        ("X Forwarded For", "10.0.0.5", "must be a header name"),
    ],
)
def test_a_wrong_setting_stops_start_up_with_its_name(
    header: str, proxies: str, named: str
) -> None:
    with pytest.raises(ImproperlyConfigured) as caught:
        TrustedProxies.parse(header=header, proxies=proxies)
    assert named in str(caught.value)
