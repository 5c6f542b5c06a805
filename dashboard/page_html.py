"""The HTML page Streamlit sends for every address, made French (asgi.py wraps the app
with `FrenchPage`).

- `<html lang="en">` becomes `<html lang="fr">`: screen readers read the pages with a
  French voice, browsers stop offering to translate them.
- An address with several segments (/orientations/ancien, /a/b) makes Streamlit's page
  look for its scripts under the wrong folder and stay blank: it is sent to its first
  segment instead, which is either a page or the French « Page introuvable »
  (dashboard/menu.py).

Only the page itself is touched: the scripts, the WebSocket and the product's own routes
go through unchanged.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Streamlit's own routes and the product's (dashboard/web.py): never rewritten
PASSTHROUGH = ("/_stcore", "/static", "/media", "/component", "/app/static", "/_pilotage",
               "/auth", "/oauth2callback")  # fmt: skip
ENGLISH = b'<html lang="en">'
FRENCH = b'<html lang="fr">'


def _page_request(scope: Scope) -> bool:
    """A browser opening an address (it asks for HTML), not a file, a route or one of the
    probes Streamlit's page makes under each possible base path (/x/_stcore/health)."""
    if scope["type"] != "http" or scope.get("method") != "GET":
        return False
    path = scope.get("path", "/")
    last = path.rstrip("/").rsplit("/", 1)[-1]
    accept = dict(scope.get("headers") or []).get(b"accept", b"")
    return (
        b"text/html" in accept
        and not path.startswith(PASSTHROUGH)
        and "/_stcore" not in path
        and "." not in last
    )


def nested_target(path: str) -> str | None:
    """The address a nested address is sent to (its first segment), None when not nested."""
    parts = [p for p in path.split("/") if p]
    return f"/{parts[0]}" if len(parts) > 1 else None


class FrenchPage:
    """ASGI middleware: see the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _page_request(scope):
            await self.app(scope, receive, send)
            return
        if target := nested_target(scope["path"]):
            await send(
                {
                    "type": "http.response.start",
                    "status": 307,
                    "headers": [(b"location", target.encode()), (b"cache-control", b"no-store")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        # the page is small: served uncompressed so that it can be rewritten
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        scope = {**scope, "headers": headers}
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks).replace(ENGLISH, FRENCH, 1)
            kept = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            await send({**start, "headers": [*kept, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)
