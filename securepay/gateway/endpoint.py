"""Which gateway URLs the client may talk to.

Card data only travels over verified TLS. The one exception is a simulator on this
machine's loopback interface, where there is no network to protect against; any other
plain-http URL is refused before a request could be built.
"""

from urllib.parse import urlsplit

from securepay.gateway.errors import GatewayConfigError

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def checked_endpoint(url: str) -> str:
    """Return ``url`` if it is https, or http to a loopback host; raise otherwise."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise GatewayConfigError("gateway endpoint must be an absolute URL with a host")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return url
    if parts.scheme == "http":
        raise GatewayConfigError(
            f"refusing plain http to {host}: card data goes over https only "
            "(http is allowed for a local simulator on 127.0.0.1 or localhost)"
        )
    raise GatewayConfigError(f"unsupported gateway endpoint scheme {parts.scheme!r}")
