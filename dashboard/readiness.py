"""The server's caches, from the outside: filled as soon as the server is up, and a route
that says whether they are.

- At start (`lifespan`, run by st.App once Streamlit's runtime has started), the filling
  of dashboard/warm.py begins, as the first script run would start it: the first page
  anyone opens after a restart is served from the caches, not computed for them.
- GET /_pilotage/pret: 200 « pret » when the caches of the warehouse in force are filled,
  else 503 with « en_cours » or « a_venir » (a load committed since; the next script run
  starts its filling). A readiness probe for the proxy or the supervisor
  (docs/exploitation.md), and what the browser benchmark waits for. It says nothing else.

dashboard/warm.py is imported inside the functions, once the runtime has started: the
caches of dashboard/ imported before it would be bound to a storage made without it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

READY_PATH = "/_pilotage/pret"


async def ready(request: Request) -> Response:
    from dashboard import warm

    state = warm.state()
    return Response(
        state,
        status_code=200 if state == "pret" else 503,
        media_type="text/plain",
        headers={"Cache-Control": "no-store"},
    )


@asynccontextmanager
async def lifespan(app) -> AsyncIterator[None]:
    """Start filling the caches of the warehouse in force (`warm.after_load`)."""
    from dashboard import warm

    try:
        warm.after_load()
    except Exception:  # a server with cold caches is only slower: it still starts
        warm.LOG.exception("préchargement des caches au démarrage impossible")
    yield


def routes() -> list[Route]:
    return [Route(READY_PATH, ready, methods=["GET"])]
