"""Which URLs a webhook may deliver to: ``http://`` or ``https://`` with a host, and never the API itself — the
host and port the request creating it was sent to, or a loopback name (``localhost``, ``127.x.x.x``, ``::1``,
``0.0.0.0``) at the port this server listens on. Names are compared as written, not resolved: the rule stops a
webhook from calling this API in a loop by mistake; it is not a firewall (a receiver's name that resolves to the
API is still the operator's to avoid)."""

from __future__ import annotations

import ipaddress
from typing import Optional
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_NAMES = {"localhost", "localhost.", "0.0.0.0", "::"}


def _loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_port(netloc: str, scheme: str) -> tuple:
    parsed = urlsplit(f"{scheme}://{netloc}")
    return (parsed.hostname or "").lower(), parsed.port or DEFAULT_PORTS.get(scheme)


def refusal(url: str, request) -> Optional[str]:
    """Why ``url`` may not be a webhook's URL for a webhook created by ``request`` (None: it may)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"Not a valid URL: {exc}."
    if parts.scheme not in DEFAULT_PORTS:
        return "Use an http:// or https:// URL."
    host = (parts.hostname or "").lower()
    if not host:
        return "The URL has no host."
    port = port or DEFAULT_PORTS[parts.scheme]
    api_scheme = "https" if request.is_secure() else "http"
    api_host, api_port = _host_port(request.get_host(), api_scheme)
    try:
        server_port = int(request.META.get("SERVER_PORT") or 0)
    except ValueError:
        server_port = 0
    if (host, port) == (api_host, api_port) or (_loopback(host) and port in (server_port, api_port)):
        return "This URL is the API itself: a webhook must deliver to another service."
    return None
