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

`python -m dashboard.readiness` asks the route of the server on this machine: what the
arrivals service runs after each pass (deploy/systemd), so that a load by the timer is
followed at once by the server's filling, not by the first visitor's cold pages.

dashboard/warm.py is imported inside the functions, once the runtime has started: the
caches of dashboard/ imported before it would be bound to a storage made without it.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

READY_PATH = "/_pilotage/pret"
FILLED = ("pret", "incomplet")  # the answers of a server whose filling has ended


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


def ask(base_url: str, timeout: float = 10.0) -> str:
    """The state the server at `base_url` answers (and, after a load, the filling it
    starts); « injoignable » when it does not answer (stopped, or starting)."""
    try:
        with urllib.request.urlopen(base_url.rstrip("/") + READY_PATH, timeout=timeout) as r:
            return r.read().decode()
    except urllib.error.HTTPError as busy:  # 503: filling, or just started by this request
        return busy.read().decode()
    except OSError:
        return "injoignable"


def wait_filled(base_url: str, bound: float) -> float | None:
    """Ask until the filling of the server at `base_url` has ended (`FILLED`): the seconds
    waited, None past `bound` seconds. A state, polled: what the browser tests and
    bench_browser.py wait for before they open a page, as a user after a start finds it."""
    start = time.monotonic()
    while ask(base_url, timeout=5) not in FILLED:
        if time.monotonic() - start > bound:
            return None
        time.sleep(0.2)  # en_cours: polling the server's state
    return time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.readiness",
        description="Demande au tableau de bord où en est le remplissage de ses caches, et "
        "le lance si un chargement vient d'être validé par un autre processus.",
        epilog="Exemple : python -m dashboard.readiness --url http://127.0.0.1:8501",
    )
    parser.add_argument("--url", default="http://127.0.0.1:8501", help="adresse du serveur")
    args = parser.parse_args(argv)
    print(ask(args.url))
    return 0  # a server that is down is the supervision's concern, not the loads'


if __name__ == "__main__":
    sys.exit(main())
