"""The server's caches, from the outside: filled as soon as the server is up, and a route
that says whether they are.

- At start (`lifespan`, run by st.App once Streamlit's runtime has started), the filling
  of dashboard/warm.py begins, as the first script run would start it: the first page
  anyone opens after a restart is served from the caches, not computed for them.
- GET /_pilotage/pret: 200 « pret » when the caches of the warehouse in force are filled
  (« incomplet » when the filling ended on an error: pages are served, some more slowly),
  else 503 with « en_cours » or « a_venir » (a load committed since; this request starts
  its filling). A readiness probe for the supervisor (docs/exploitation.md), and what the
  browser benchmark waits for. It says nothing else.

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
    """The state, then the filling started if a load committed since nothing did (a load
    by the arrivals timer runs in a process of its own): a supervisor's probe starts it
    as a page run would, and a server held out of rotation while not ready cannot wait
    for a visitor forever. The state answered is the one found: « a_venir » once."""
    from dashboard import warm

    state = warm.state()
    if state == "a_venir":
        warm.after_load()
    return Response(
        state,
        status_code=503 if state in ("en_cours", "a_venir") else 200,
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
