"""The viewer's server answers only its own page: an ASGI wrapper that refuses (403) a
request whose ``Host`` is not the server's own address, or whose ``Origin`` (sent by a
browser with a web socket or a cross-site request) is another site.

Why: Solara checks neither. Listening on 127.0.0.1 keeps other machines out, but a web page
open in the user's browser could still reach the port: through DNS rebinding (a name of its
own that resolves to 127.0.0.1, so its ``Host`` is that name) or by opening the web socket
that drives the page (its ``Origin`` is that page's site), and step a live model or read
the runs shown.
"""
from __future__ import annotations


def allowed_hosts(port: int) -> frozenset[str]:
    """The ``Host`` values of the server's own address (``127.0.0.1:PORT``,
    ``localhost:PORT``)."""
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})


class SameOriginOnly:
    """ASGI middleware around ``app``: HTTP requests and web sockets pass only with a
    ``Host`` among :func:`allowed_hosts` ``(port)`` and no ``Origin`` or
    ``http://`` one of them; others get 403 (a web socket is closed before it opens)."""

    def __init__(self, app, port: int):
        self.app = app
        self.hosts = allowed_hosts(port)
        self.origins = frozenset(f"http://{host}" for host in self.hosts)

    def allowed(self, scope) -> bool:
        headers = {name.decode("latin-1").lower(): value.decode("latin-1").lower()
                   for name, value in scope["headers"]}  # host names are case-insensitive
        origin = headers.get("origin")
        return headers.get("host") in self.hosts and (origin is None or origin in self.origins)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or self.allowed(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"forbidden: not this server's "
                        b"own address (abm view answers http://127.0.0.1:PORT only)"})
        else:  # closing before accepting: the server answers the handshake with 403
            await send({"type": "websocket.close", "code": 1008})
