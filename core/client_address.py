"""The client's address behind trusted proxies (TRUSTED_PROXIES), the one address throttles and lockouts count by.

Behind a TLS proxy every request comes from the proxy's address: the anonymous and login throttles become one
bucket for the whole team, and five wrong passwords lock a user out for everyone. Taking X-Forwarded-For at its
word is worse: anyone can write one, and a fresh made-up address each time is a fresh throttle bucket each time.
So the header is read only when the peer itself is a trusted proxy, from the right (the hops our proxies added)
to the first address that is not a trusted proxy: that is the client.

``TRUSTED_PROXIES`` is either addresses and networks (``127.0.0.1,10.0.0.0/8``), or a number of proxies in front
of the app (``1``). A number trusts the header whenever it is there, so use it only when the app cannot be reached
except through those proxies; addresses are the safer choice.

The middleware puts the client's address in ``REMOTE_ADDR`` (and the peer's in ``XUNCHA_PEER_ADDR``), so that
everything that counts by address — DRF's throttles (NUM_PROXIES 0: they read REMOTE_ADDR only), django-axes,
the password-reset limit, the logs — sees the same client.
"""
import functools
import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PEER_KEY = "XUNCHA_PEER_ADDR"


@functools.lru_cache(maxsize=8)
def parse_trusted_proxies(values):
    """``(count, networks)`` from the setting's items: a single whole number is a count, anything else networks."""
    values = [value.strip() for value in values if value.strip()]
    if len(values) == 1 and values[0].isdigit():
        return int(values[0]), ()
    try:
        return 0, tuple(ipaddress.ip_network(value, strict=False) for value in values)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc} (addresses or networks, or a number of proxies)") from exc


def _address(value):
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    # An IPv4 client reaching an IPv6 socket shows as ::ffff:a.b.c.d; count it by its IPv4 address.
    return getattr(address, "ipv4_mapped", None) or address


def client_address(peer, forwarded_for, count, networks):
    """The client's address, given the peer's and the X-Forwarded-For header (or None)."""
    peer_address = _address(peer or "")
    if peer_address is None or not (count or networks) or not forwarded_for:
        return peer
    hops = [_address(hop) for hop in forwarded_for.split(",")]
    if count:
        # The last ``count`` addresses of the chain (the header's hops, then the peer) are our proxies.
        chain = [*hops, peer_address]
        candidate = chain[-(count + 1)] if len(chain) > count else chain[0]
        return str(candidate) if candidate is not None else peer

    def trusted(address):
        return any(address.version == network.version and address in network for network in networks)

    if not trusted(peer_address):
        return peer  # not one of our proxies: its header is whatever the sender wrote
    client = peer_address
    for hop in reversed(hops):
        if hop is None:
            break  # a hop no proxy of ours wrote: stop at the last address we can vouch for
        client = hop
        if not trusted(hop):
            break
    return str(client)


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.trusted_proxies()  # a wrong setting stops the server at start, not at the first request

    @staticmethod
    def trusted_proxies():
        return parse_trusted_proxies(tuple(settings.TRUSTED_PROXIES))

    def __call__(self, request):
        count, networks = self.trusted_proxies()
        peer = request.META.get("REMOTE_ADDR")
        request.META[PEER_KEY] = peer
        request.META["REMOTE_ADDR"] = client_address(peer, request.META.get("HTTP_X_FORWARDED_FOR"), count, networks)
        return self.get_response(request)


def remote_addr(request):
    """django-axes' AXES_CLIENT_IP_CALLABLE: the address the middleware settled on, never a header of its own
    choosing (with django-ipware installed, axes would otherwise read X-Forwarded-For itself)."""
    return request.META.get("REMOTE_ADDR")
