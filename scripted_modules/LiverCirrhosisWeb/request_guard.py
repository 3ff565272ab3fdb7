"""Who may talk to the reader-study servers: every HTTP request and WebSocket upgrade must name the served
address in Host (against DNS rebinding), and a browser's Origin must be the study page itself (another page
open in the same browser, e.g. http://evil.example, is refused before the WebSocket is upgraded)."""

from __future__ import annotations

import ipaddress
import socket

from aiohttp import web

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def served_names(host: str, extra=()) -> set[str]:
    """Host names under which the study is reached. A wildcard bind serves the machine's own names."""
    names = {host.lower(), *(name.lower() for name in extra)}
    if is_loopback(host):
        names.update(LOOPBACK_NAMES)
    if host in WILDCARD_ADDRESSES:
        names.discard(host)
        names.update(LOOPBACK_NAMES)
        hostname, aliases, addresses = socket.gethostbyname_ex(socket.gethostname())
        names.update(name.lower() for name in (hostname, socket.getfqdn(), *aliases, *addresses))
    return names


def _host_and_port(value: str) -> tuple[str, str]:
    """'name:port' or '[::1]:port' -> (name, port); browsers leave http's port 80 out."""
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        return name.lower(), rest.removeprefix(":") or "80"
    name, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    return name.lower(), port or "80"


class RequestGuard:
    """Allowed: Host = one of `names` with this server's port; Origin (when the browser sends one) = one of
    `names` with the page's port over http. WebSocket upgrades and requests that change something must carry an
    Origin: browsers always send it there, so its absence means a script, not the study page."""

    def __init__(self, names: set[str], page_port: int):
        self.names, self.page_port = names, int(page_port)

    def refusal(self, request: web.Request, own_port: int) -> str | None:
        name, port = _host_and_port(request.headers.get("Host", ""))
        if name not in self.names or port != str(own_port):
            return "Host not served here"
        origin = request.headers.get("Origin")
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        if origin is None:
            return "Origin required" if upgrade or request.method not in ("GET", "HEAD") else None
        scheme, _, rest = origin.partition("://")
        name, port = _host_and_port(rest)
        if scheme != "http" or name not in self.names or port != str(self.page_port):
            return "Origin not allowed"
        return None

    def middleware(self, own_port: int):
        @web.middleware
        async def check(request, handler):
            reason = self.refusal(request, own_port)
            if reason:
                raise web.HTTPForbidden(text=reason)
            return await handler(request)

        return check
