"""The HTTP side of local-account sessions: two routes served beside Streamlit's own, on
the same server (`st.App`, see asgi.py), because only an HTTP response can set an HttpOnly
cookie and a Streamlit script talks to the browser over a WebSocket.

- POST /_pilotage/session, body = the one-time ticket the page got at sign-in: answers
  with the signed session cookie (HttpOnly, SameSite=Strict, Secure behind HTTPS, Max-Age
  = the session's lifetime). Nothing ever travels in a URL.
- POST /_pilotage/fin: revokes the session the cookie names and deletes the cookie.
- GET /_pilotage/pret: whether the server has filled its caches for the warehouse in force
  (200 « pret », else 503 with « en_cours » or « a_venir »): a readiness probe for the
  proxy or the supervisor, and what the benchmarks wait for. It says nothing else.

The server fills those caches at start (`lifespan`), not at the first user's visit: the
first page anyone opens after a restart is served from them (dashboard/warm.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipelines import access
from pipelines.settings import Settings

SESSION_PATH = "/_pilotage/session"
END_PATH = "/_pilotage/fin"
READY_PATH = "/_pilotage/pret"


def _https(request: Request) -> bool:
    """Behind the TLS proxy the README asks for, the scheme arrives in X-Forwarded-Proto."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    return request.url.scheme == "https" or forwarded == "https"


async def open_session(request: Request) -> Response:
    ticket = (await request.body())[:256].decode("ascii", errors="replace").strip()
    cookie = access.redeem_ticket(Settings.from_env().db_path, ticket)
    if cookie is None:
        return Response(status_code=403)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        access.SESSION_COOKIE,
        cookie,
        max_age=int(access.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_https(request),
    )
    return response


async def end_session(request: Request) -> Response:
    cookie = request.cookies.get(access.SESSION_COOKIE, "")
    if cookie:
        access.revoke_web_session(Settings.from_env().db_path, cookie=cookie)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(access.SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def ready(request: Request) -> Response:
    from dashboard import warm  # after the runtime has started: see `lifespan`

    state = warm.state()
    return Response(
        state,
        status_code=200 if state == "pret" else 503,
        media_type="text/plain",
        headers={"Cache-Control": "no-store"},
    )


@asynccontextmanager
async def lifespan(app) -> AsyncIterator[None]:
    """Once Streamlit's runtime has started (st.App runs this after it: the caches of
    dashboard/ are bound to its storage), start filling the caches of the warehouse in
    force, as the first script run would (`warm.after_load`)."""
    from dashboard import warm

    try:
        warm.after_load()
    except Exception:  # a server with cold caches is only slower: it still starts
        warm.LOG.exception("préchargement des caches au démarrage impossible")
    yield


def routes() -> list[Route]:
    return [
        Route(SESSION_PATH, open_session, methods=["POST"]),
        Route(END_PATH, end_session, methods=["POST"]),
        Route(READY_PATH, ready, methods=["GET"]),
    ]
