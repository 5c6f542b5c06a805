"""Start the dashboard: `python -m dashboard.serve [streamlit options]` (what `make run` does).

Why not plain `streamlit run app.py`: Streamlit 1.67 still treats a `pages/` folder next
to the entry point as a legacy multipage app until the entry point has called
`st.navigation` once in the process. Until then a deep link such as /orientations runs
pages/orientations.py on its own, without app.py (no page configuration, navigation
built from file names). Declaring up front that the app uses `st.navigation` makes every
request, deep links included, go through app.py. The browser tests start the app this way
and check the navigation titles, so a Streamlit upgrade that changes this is caught.

What is run is asgi.py: app.py served with the session-cookie routes (dashboard/web.py)
on the same server, through Streamlit's own `st.App`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ASGI = Path(__file__).resolve().parents[1] / "asgi.py"
PRECHARGEMENT = "PILOTAGE_PRECHARGEMENT"  # read by dashboard/warm.py


def main(argv: list[str] | None = None) -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False  # app.py calls st.navigation on every run
    # Caches filled after each load and at start (dashboard/warm.py). A variable, not an
    # import: dashboard/ imported before Streamlit's runtime starts would bind its caches
    # to a storage made without it.
    os.environ[PRECHARGEMENT] = "1"
    sys.argv = ["streamlit", "run", str(ASGI), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
