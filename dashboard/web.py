"""The HTTP side of local-account sessions: two routes served beside Streamlit's own, on
the same server (`st.App`, see asgi.py), because only an HTTP response can set an HttpOnly
cookie and a Streamlit script talks to the browser over a WebSocket.

- POST /_pilotage/session, body = the one-time ticket the page got at sign-in: answers
  with the signed session cookie (HttpOnly, SameSite=Strict, Secure behind HTTPS, Max-Age
  = the session's lifetime). Nothing ever travels in a URL.
- POST /_pilotage/fin: revokes the session the cookie names and deletes the cookie.

The readiness route and the filling at start: dashboard/readiness.py.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipelines import access
from pipelines.settings import Settings

SESSION_PATH = "/_pilotage/session"
END_PATH = "/_pilotage/fin"


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


def routes() -> list[Route]:
    return [
        Route(SESSION_PATH, open_session, methods=["POST"]),
        Route(END_PATH, end_session, methods=["POST"]),
    ]
