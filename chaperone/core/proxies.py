"""The address a request really comes from, with or without a reverse proxy in front.

``REMOTE_ADDR`` is the other end of the TCP connection. Behind the TLS proxy of
docs/operations.md that is the proxy, for every visitor: the lockout after five wrong passwords
would then lock a username for everyone and every audit row would name the proxy. So the
proxy's header is read, but only when the connection comes from a proxy we were told to trust
(``CHAPERONE_TRUSTED_PROXIES``) and only the header we were told it sets
(``CHAPERONE_CLIENT_IP_HEADER``). Anyone else can send that header too, so from anyone else it
is ignored. Both settings unset (the default) means ``REMOTE_ADDR``.

A list header (``X-Forwarded-For: client, proxy1, proxy2``) is read from the right: each proxy
appends the address it saw, so the first address from the right that is not a trusted proxy is
the client. Whatever lies left of it was written by the client and is never believed.

Audit (``RequestContextMiddleware``) and django-axes (``AXES_CLIENT_IP_CALLABLE``) both call
:func:`client_ip`, so they always agree.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")


@dataclass(frozen=True)
class TrustedProxies:
    """Which peers may tell us the client's address, and in which request header."""

    #: The header's key in ``request.META`` (``HTTP_X_FORWARDED_FOR``); empty when off.
    meta_key: str = ""
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, *, header: str, proxies: str) -> TrustedProxies:
        """Read the two environment variables; a wrong value stops start-up with its name."""
        header = header.strip()
        entries = [p.strip() for p in proxies.split(",") if p.strip()]
        if not header and not entries:
            return cls()
        if not entries:
            raise ImproperlyConfigured(
                f"CHAPERONE_CLIENT_IP_HEADER is {header!r} but CHAPERONE_TRUSTED_PROXIES is "
                "empty: list the proxy addresses allowed to set it (e.g. 127.0.0.1)."
            )
        if not header:
            raise ImproperlyConfigured(
                "CHAPERONE_TRUSTED_PROXIES is set but CHAPERONE_CLIENT_IP_HEADER is empty: "
                "name the header the proxy sets (e.g. X-Forwarded-For)."
            )
        if not _HEADER_NAME.fullmatch(header):
            raise ImproperlyConfigured(
                f"CHAPERONE_CLIENT_IP_HEADER must be a header name such as X-Forwarded-For, "
                f"not {header!r}."
            )
        networks = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ImproperlyConfigured(
                    f"CHAPERONE_TRUSTED_PROXIES: {entry!r} is not an IP address or network "
                    "(write e.g. 10.0.0.5 or 10.0.0.0/24, separated by commas)."
                ) from None
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        return cls(meta_key=meta_key, networks=tuple(networks))

    def trusts(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def client_address(self, remote_addr: str, header_value: str) -> str:
        """The client's address, given the TCP peer and the value of the proxy's header."""
        peer = _address(remote_addr)
        if not self.meta_key or peer is None or not self.trusts(peer) or not header_value:
            return remote_addr
        address = peer
        for hop in reversed(header_value.split(",")):
            found = _address(hop)
            if found is None:
                # Our own proxy wrote something that is not an address: believe nothing.
                return remote_addr
            address = found
            if not self.trusts(address):
                break
        return str(address)


def _address(value: str) -> Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.9:443
        value = value.partition(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for audit rows and lockouts (see the module's docstring)."""
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies: TrustedProxies = settings.CHAPERONE_PROXIES
    if not proxies.meta_key:
        return remote or None
    return proxies.client_address(remote, request.META.get(proxies.meta_key, "")) or None
