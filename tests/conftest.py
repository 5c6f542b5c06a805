"""Shared fixtures: every test gets its own warehouse file and pseudonymisation key."""

from __future__ import annotations

import fcntl
import gc
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from pipelines import precalcul
from pipelines.readers.layout import available_layouts
from pipelines.settings import SAMPLE_DIR, Settings
from sample_data import generate

TEST_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
GOLDEN = Path(__file__).parent / "golden"

# Password hashes at the cheapest argon2 cost for the whole run, subprocesses (served
# dashboards, command lines) included: the production cost is about a second per hash
# on a busy 2-core machine. tests/test_password_cost.py checks the production one.
os.environ["PILOTAGE_ARGON2_COUT"] = "test"
# The pages' opening reads are stored by the demo build (`build_demo_into`), which the
# page tests read, and by tests/test_precalcul.py; the run's hundreds of other writes
# skip them (one to two seconds each on the demo): pipelines/precalcul.py.
os.environ[precalcul.VARIABLE] = "0"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """A private warehouse path and a fixed test key; never the user's files."""
    monkeypatch.setenv("PILOTAGE_DB", str(tmp_path / "wh" / "pilotage.duckdb"))
    monkeypatch.setenv("PILOTAGE_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("PILOTAGE_KEY_FILE", str(tmp_path / "keys" / "cle"))
    monkeypatch.delenv("PILOTAGE_DEPARTEMENT", raising=False)
    monkeypatch.setenv("PILOTAGE_OPERATEUR", "test")


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture
def layout():
    return available_layouts("pecgm")["001,0"]


def pecgm_lines(persons: int = 40, month: str = "2026-10", departement: str = "2A", seed: int = 7):
    """Lines of one synthetic PECGM file (header, details, footer)."""
    year, m = map(int, month.split("-"))
    ref = generate.month_end(year, m)
    months = list(generate.simulate(departement, 1, persons, seed, ref))
    _, people = months[-1]
    return generate.pecgm_lines(available_layouts("pecgm")["001,0"], departement, ref, people)


def write_pecgm(
    path: Path, lines: list[str], encoding: str = "latin-1", newline: str = "\r\n"
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    generate.write_lines(path, lines, encoding, newline)
    return path


_ROWS_INSTANCE: list[duckdb.DuckDBPyConnection] = []  # one in-memory instance per worker


def table_rows(settings: Settings, table: str) -> list[tuple]:
    """All rows of a warehouse table, in a stable order (empty when no warehouse yet).

    Read through one in-memory instance kept by the worker, the file attached read-only
    for the read: a new DuckDB instance registers every built-in function first, about
    30 ms of the 40 a `duckdb.connect(path)` costs, and the suite reads tables a few
    hundred times."""
    if not settings.db_path.exists():
        return []
    if not _ROWS_INSTANCE:
        _ROWS_INSTANCE.append(duckdb.connect())
    con = _ROWS_INSTANCE[0].cursor()
    try:
        con.execute("ATTACH ? AS lu (READ_ONLY)", [str(settings.db_path)])
        con.execute("USE lu")  # the file's views and macros bind in their own catalog
        try:
            return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        except duckdb.CatalogException:
            return []
        finally:
            con.execute("USE memory")
            con.execute("DETACH lu")
    finally:
        con.close()


@pytest.fixture
def ref_date() -> date:
    return date(2026, 10, 31)


REPO = Path(__file__).resolve().parents[1]
# What the demo warehouse is made of: a change to any of these files builds it again.
DEMO_INPUTS = ("sample_data", "pipelines", "expectations", "tests/conftest.py")
# Outside the repository (or PILOTAGE_TEST_CACHE): demo warehouses keyed by their inputs.
TEST_CACHE = Path(
    os.environ.get("PILOTAGE_TEST_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pilotage-rsa-tests"
)


def inputs_digest(root: Path = REPO, folders: tuple[str, ...] = DEMO_INPUTS) -> str:
    """sha256 of every file the demo warehouse is built from (sample files, pipelines code,
    SQL, layouts, nomenclatures, suites, this file's build), of the DuckDB version that
    writes it, of the test key and of the password cost: equal digests, equal warehouses."""
    digest = hashlib.sha256()
    for line in (duckdb.__version__, TEST_KEY, os.environ["PILOTAGE_ARGON2_COUT"]):
        digest.update(line.encode() + b"\0")
    for entry in folders:
        base = root / entry
        for path in [base] if base.is_file() else sorted(base.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(str(path.relative_to(root)).encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def build_demo_into(folder: Path, root: Path = SAMPLE_DIR) -> None:
    """`build_demo` of the sample files under `root` into `folder/pilotage.duckdb`."""
    from sample_data.demo import build_demo

    mp = pytest.MonkeyPatch()
    mp.setenv("PILOTAGE_SECRET_KEY", TEST_KEY)
    mp.setenv(precalcul.VARIABLE, "1")  # as `make run` builds it: the opening reads stored
    try:
        build_demo(Settings.from_env(folder / "pilotage.duckdb"), echo=lambda _: None, root=root)
    finally:
        mp.undo()


def demo_lock(cache: Path, digest: str) -> Path:
    """The lock file of one digest's demo warehouse: held while it is built or copied, so
    the suite's xdist workers (and other checkouts sharing the cache) build a digest once,
    and pruning never removes a warehouse while it is copied. Builds of other digests
    (another checkout's inputs) do not wait for it."""
    return cache / f"demo-{digest}.lock"


@contextmanager
def exclusive(lock: Path, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive `flock` on `lock` (created if needed); other processes (xdist
    workers, another run) wait here until it is released, or until this process dies.
    With `wait=False`, yields False at once when another process holds it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached_demo(cache: Path = TEST_CACHE, into: Path | None = None) -> Path:
    """The folder of the demo warehouse for the current inputs, built through the real
    pipelines the first time (into a private folder, then renamed into place, so that a
    half-built warehouse is never taken for a cached one), copied to `into` when given.
    Under the digest's lock: a second worker waits for the first one's build instead of
    building it again."""
    digest = inputs_digest()
    cached = cache / f"demo-{digest}"
    with exclusive(demo_lock(cache, digest)):
        if not (cached / "pilotage.duckdb").exists():
            for stale in cache.glob(f"building-{digest}-*"):  # a build that died half-way
                shutil.rmtree(stale, ignore_errors=True)
            building = Path(tempfile.mkdtemp(prefix=f"building-{digest}-", dir=cache))
            try:
                build_demo_into(building)
                building.rename(cached)
            finally:
                shutil.rmtree(building, ignore_errors=True)
        if into is not None:
            shutil.copytree(cached, into, dirs_exist_ok=True)
        os.utime(cached)  # last used: what the pruning below keeps
    _prune(cache, keep=KEEP_DEMOS)
    return cached


KEEP_DEMOS = 6  # demo warehouses kept in the cache (the most recently used), ~20 MB each


def _prune(cache: Path, keep: int) -> None:
    """Remove the demo warehouses of older inputs, beyond the `keep` most recently used;
    one whose lock another process holds (being copied or built) is left for later."""
    demos = [p for p in cache.glob("demo-*") if p.is_dir()]
    demos.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in demos[keep:]:
        with exclusive(demo_lock(cache, old.name.removeprefix("demo-")), wait=False) as free:
            if free:
                shutil.rmtree(old, ignore_errors=True)


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """The demo warehouse, built once through the real pipelines for given inputs (a cache
    outside the repository, keyed by `inputs_digest`), copied for this run: tests may
    change their copy, never the cached one."""
    folder = tmp_path_factory.mktemp("sample")
    cached_demo(into=folder)
    return folder / "pilotage.duckdb"


def run_root(tmp_path_factory) -> Path:
    """This run's temporary folder, the same for all its xdist workers (each worker's own
    base folder is a sub-folder of it, named after the worker)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def built_warehouses(tmp_path_factory):
    """`copy(name, build)`: the warehouse `build(settings, folder)` makes (loads of files it
    writes into `folder`), built once per run under `name` (once for all xdist workers: the
    first one builds it under a lock, the others wait and reuse it), then copied (the
    warehouse folder: DuckDB file, access file, reports) to the calling test's PILOTAGE_DB.
    Each test gets its own copy, so tests stay independent whatever they write."""
    shared = run_root(tmp_path_factory) / "built"

    def copy(name: str, build) -> Settings:
        folder = shared / name
        done = folder / "construit"
        with exclusive(shared / f"{name}.lock"):
            if not done.exists():
                shutil.rmtree(folder, ignore_errors=True)  # a build that failed half-way
                folder.mkdir(parents=True)
                db = folder / "wh" / "pilotage.duckdb"
                mp = pytest.MonkeyPatch()
                mp.setenv("PILOTAGE_DB", str(db))  # commands run by `build` write there too
                try:
                    build(Settings.from_env(db), folder)
                finally:
                    mp.undo()
                done.touch()
        settings = Settings.from_env()
        shutil.copytree(folder / "wh", settings.db_path.parent, dirs_exist_ok=True)
        return settings

    return copy


def _scan_components_once() -> None:
    """Each new AppTest asks Streamlit to look for v2 components in every installed
    package's metadata (`scan_component_manifests`): about 0.3 s of CPU, the same answer
    each time (nothing is installed during a run), and a third of a short page test. The
    first answer is kept for the rest of the process; a served dashboard scans once, at
    its start, as in production."""
    from functools import cache

    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    if not hasattr(scan, "cache_info"):
        manifest_scanner.scan_component_manifests = cache(scan)


_scan_components_once()


APP = str(Path(__file__).resolve().parents[1] / "app.py")
# How long an AppTest script run may take before the test fails: a guard against a run
# that never ends, not a speed check (speed is measured in benchmarks/). A page run takes
# a few seconds on an idle machine and several times that on a loaded one, parallel
# workers included: the guard is generous.
APPTEST_TIMEOUT = 180


def run_app(user=None, query: dict | None = None, page: str | None = None):
    """The app in Streamlit's AppTest: signed in as `user` (None: not signed in), with
    URL query parameters, switched to `page` when given."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT)
    if user is not None:
        from tests.streamlit_session import sign_in

        sign_in(at, user)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


@pytest.fixture
def view_reader(sample_db, monkeypatch):
    """The demo warehouse as dashboard/views/ read it, through `dashboard.db` in
    Streamlit's bare mode (the same cache and département scoping as a page), signed in
    as an analyst of 2A at the published threshold; yields a direct connection to compare
    their figures with the indicator layer."""
    import logging

    import streamlit as st

    from pipelines import masking, warehouse
    from pipelines.access import User

    logging.getLogger("streamlit").setLevel(logging.ERROR)  # bare mode warns at every read
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    st.session_state["utilisateur"] = User("analyste.2a", "analyste", ("2A",))
    masking.set_view_threshold(None)  # the published one: PILOTAGE_SEUIL_MASQUAGE, else 11
    con = warehouse.open_reader(sample_db)
    yield con
    con.close()
    st.session_state.clear()


def forget_cached_views() -> None:
    """Forget what this process cached from earlier tests: Streamlit's data caches, the
    pages' whole views (dashboard/figure_cache.py) and the masking decisions' memo. A test
    that counts what a first view asks starts from here, whatever ran before it on the
    same worker."""

    from dashboard import db, figure_cache
    from pipelines import masking_grids

    db.forget()
    figure_cache._view.clear()
    masking_grids.forget_decisions()


FILL_BOUND = 1800  # seconds: a hung filling fails its test instead of the whole run


def run_and_wait_for_filling(run) -> None:
    """Call `run` (a script run that starts the server's filling after a load,
    dashboard/warm.py), check that it started a new filling thread, and wait until that
    thread has ended: a state, not a time (FILL_BOUND only bounds a hung thread)."""
    from dashboard import warm

    before = len(warm._THREADS)
    run()
    assert len(warm._THREADS) > before, "no filling was started"
    thread = warm._THREADS[-1]
    thread.join(timeout=FILL_BOUND)
    assert not thread.is_alive(), "the filling did not end"


@pytest.fixture
def cold_caches():
    """A first view after a load: `forget_cached_views` before and after the test."""
    forget_cached_views()
    yield
    forget_cached_views()


def hide_stored_results(mp: pytest.MonkeyPatch) -> None:
    """Read the warehouse as a generation written without its opening reads stored
    (PILOTAGE_PRECALCUL=0, pipelines/precalcul.py): the pages compute every read, as the
    tests of their queries and of the server's filling count them."""
    from dashboard import db

    mp.setattr(db, "_stored", lambda *_: {})


@pytest.fixture
def computed_reads(monkeypatch):
    """`hide_stored_results` for one test."""
    hide_stored_results(monkeypatch)


@pytest.fixture
def publish_at(monkeypatch):
    """Publish at another masking threshold (high enough to mask the demo's figures)."""

    def publish(limit: int) -> int:
        monkeypatch.setenv("PILOTAGE_SEUIL_MASQUAGE", str(limit))
        return limit

    return publish


@pytest.fixture
def demo_scope(view_reader):
    """The sidebar's choices on the demo (2A, the default 12-month period ending with the
    month), as a topic view receives them."""
    from dashboard.views.elements import Scope
    from pipelines import indicators

    def scope(month: str = "2026-06", parcours: str | None = None, communes=None) -> Scope:
        known = indicators.months_available(view_reader, "2A")
        return Scope("2A", month, communes, sorted(m for m in known if m <= month)[-12:], parcours)

    return scope


SHARED_SCOPES = ("class", "module", "package")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(config, items) -> None:
    """`make test` runs on xdist workers (`--dist loadgroup`): a test that uses a fixture
    shared by its module (a warehouse loaded for the module) joins its module's group, so
    the module runs on one worker and builds that fixture once; a test that drives the
    browser or the served dashboard joins BROWSER_GROUP; every other test goes to
    whichever worker is free."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        fixtures = getattr(item, "_fixtureinfo", None)
        if fixtures is None:
            continue
        if BROWSER_GROUP_FIXTURES & set(fixtures.names_closure):
            item.add_marker(pytest.mark.xdist_group(BROWSER_GROUP))
        elif any(d[-1].scope in SHARED_SCOPES for d in fixtures.name2fixturedefs.values()):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
    items[:] = sorted(items, key=_start_order(items))


def _start_order(items):
    """The order xdist hands the work out in (`make test` passes --no-loadscope-reorder):
    the browser group first, then the modules none of whose tests reads the demo
    warehouse, then the others, each module's tests in their file's order. The worker that
    takes the browser group builds the demo warehouse (its server serves it, about 15 s)
    while the other runs tests that do not wait for it; in the order by group size, the
    other worker's first group read it too and waited for the build, a core idle."""
    reads_demo = {
        item.module.__name__
        for item in items
        if "sample_db" in getattr(getattr(item, "_fixtureinfo", None), "names_closure", ())
    }

    def rank(item) -> int:
        group = item.get_closest_marker("xdist_group")
        if group is not None and group.args[0] == BROWSER_GROUP:
            return 0
        return 2 if item.module.__name__ in reads_demo else 1

    return rank


GROUPS_LOST = pytest.StashKey[str]()


def pytest_collection_finish(session) -> None:
    """Fail the run when xdist's groups are lost: `--dist loadgroup` marks a grouped test
    by a suffix of its node id, which pytest 9.2 no longer lets it write
    (pytest-dev/pytest-xdist#1386; pytest is pinned below it in requirements-dev.txt).
    Nothing else would fail then: module fixtures would be built once per test that uses
    them, and the run would take minutes longer. Every test then fails with the reason."""
    config = session.config
    if not hasattr(config, "workerinput") or not config.getvalue("loadgroup"):
        return
    lost = [
        item.nodeid
        for item in session.items
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid
    ]
    if lost:
        config.stash[GROUPS_LOST] = (
            f"pytest-xdist n'a pas pu grouper {len(lost)} tests (--dist loadgroup), par "
            f"exemple {lost[0]} : version de pytest incompatible avec pytest-xdist."
        )


def pytest_runtest_setup(item) -> None:
    if GROUPS_LOST in item.config.stash:
        pytest.fail(item.config.stash[GROUPS_LOST], pytrace=False)


# Every test that drives Chromium or the served dashboard runs on one worker, one after
# the other: one Streamlit server (and its filling of the caches), one Chromium and one
# set of cold views for the whole run, where a worker each computed them twice. The
# largest group, xdist hands it out first (--loadscope-reorder, its default): the other
# worker takes the rest meanwhile.
BROWSER_GROUP = "navigateur"
BROWSER_GROUP_FIXTURES = {
    "server",
    "browser",
}  # `page` asks for `browser`; a test may name a parameter `page`


# The browser harness, session-scoped: one Streamlit server on the demo warehouse and one
# Chromium, shared by every browser module, all of them on one xdist worker
# (BROWSER_GROUP). Tests stay independent:
# each one gets a fresh browser context (cookies, storage, session of its own), and a test
# that changes the warehouse adds its own account or copy.
@pytest.fixture(scope="session")
def server(sample_db, tmp_path_factory):
    """The demo warehouse served by `dashboard.serve` as `make run` serves it: its URL."""
    from tests.test_e2e_browser import serve

    env = {
        "PILOTAGE_DB": str(sample_db),
        "PILOTAGE_SECRET_KEY": TEST_KEY,
        "PILOTAGE_KEY_FILE": str(tmp_path_factory.mktemp("keys") / "cle"),
    }
    for url in serve(env):
        _wait_until_filled(url)
        SERVED[url] = sample_db
        yield url
        del SERVED[url]


def _wait_until_filled(url: str) -> None:
    """Wait until the served dashboard has filled its caches (`readiness.wait_filled`, as
    bench_browser.py waits): the browser tests then find the pages a user finds after a
    start, instead of computing them beside the filling (their times varied by half from
    one run to the next). FILL_BOUND only bounds a hung filling."""
    from dashboard.readiness import ask, wait_filled

    if wait_filled(url, FILL_BOUND) is None:
        pytest.fail(f"the served dashboard never filled its caches: {ask(url, timeout=5)}")


# Served dashboards of this worker: URL -> the warehouse it serves (whose access file
# holds the web sessions a test may open for its tab, tests.test_e2e_browser._open).
SERVED: dict[str, Path] = {}


class _Chromium:
    """One Chromium per xdist worker, started on the first browser test and kept for the
    next ones, stopped before any other test: Playwright's sync client keeps an asyncio
    loop running in the thread while it is started, which would break a later test's
    `asyncio.run` or the committee PDF's own Chromium (a test that needs neither browser
    nor page stops it: `_no_browser_outside_browser_tests`)."""

    def __init__(self) -> None:
        self._playwright = None
        self._browser = None
        self._tab = None
        self._origins: set[tuple[str, str]] = set()  # (scheme, host:port) the tab opened

    def get(self):
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            from tests.test_e2e_browser import _chromium

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=_chromium(), headless=True
            )
        return self._browser

    def tab(self):
        """The worker's kept tab, signed out: a new tab costs Chromium a renderer process
        (about 3 s of CPU to start Streamlit's scripts again), a navigation in a kept one
        about 1.5 s. Each test starts with no cookie and no storage, on a blank page, at
        the desktop size (a test may resize it: `set_viewport_size`)."""
        if self._tab is None or self._tab.is_closed():
            context = self.get().new_context(viewport=DESKTOP, locale="fr-FR")
            self._tab = context.new_page()
            self._origins = set()
            self._tab.on("framenavigated", self._visited)
        return self._tab

    def _visited(self, frame) -> None:
        if frame.parent_frame is None and frame.url.startswith("http"):
            self._origins.add(urlsplit(frame.url)[:2])

    def release(self, tab) -> None:
        """Leave the kept tab as a new one would be: its page's storage emptied, on a blank
        page (the Streamlit session's socket closes), no cookie; a tab that will not do so
        (closed, crashed, a dialog left open), or that visited more than one server (the
        storage of the others would stay), is dropped with its context. A test never
        registers a listener or a route on the shared tab: one that needs them opens a
        context of its own."""
        if len(self._origins) > 1:
            self._drop_tab()
            return
        self._origins.clear()
        try:
            if tab.url.startswith("http"):
                tab.evaluate("() => { sessionStorage.clear(); localStorage.clear(); }")
            tab.goto("about:blank")
            tab.context.clear_cookies()
            if tab.viewport_size != DESKTOP:
                tab.set_viewport_size(DESKTOP)
            tab.context.clear_permissions()
        except Exception:
            self._drop_tab()

    def _drop_tab(self) -> None:
        if self._tab is not None:
            with suppress(Exception):
                self._tab.context.close()
            self._tab = None

    def stop(self) -> None:
        self._tab = None  # closed with its browser
        if self._browser is not None:
            try:
                self._browser.close()
            finally:
                self._playwright.stop()
                self._browser = self._playwright = None


DESKTOP = {"width": 1400, "height": 1000}
_CHROMIUM = _Chromium()
BROWSER_FIXTURES = {"browser", "page"}


@pytest.fixture(autouse=True)
def _no_browser_outside_browser_tests(request):
    """Stop the worker's shared Chromium before a test that does not use it (see
    `_Chromium`), and at the end of the run."""
    if not BROWSER_FIXTURES & set(request.fixturenames):
        _CHROMIUM.stop()
    yield


@pytest.fixture(autouse=True)
def _collector_unfrozen():
    """A test that ran the server's filling froze the worker's heap (`warm.settle_heap`):
    handed back after it, so that the next tests' garbage (a connection left in a cycle,
    holding its file) is collected as usual."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture
def browser():
    """Debian's headless Chromium through Playwright's Python client: one per worker,
    shared by consecutive browser tests (`_Chromium`)."""
    return _CHROMIUM.get()


def pytest_sessionfinish(session, exitstatus) -> None:
    _CHROMIUM.stop()


@pytest.fixture
def page(browser):
    """A tab (French, desktop size) with no cookie and no storage from another test: the
    worker's kept tab (`_Chromium.tab`), emptied after each test."""
    tab = _CHROMIUM.tab()
    yield tab
    _CHROMIUM.release(tab)


def pdftotext(pdf: bytes) -> str:
    """A PDF's text laid out as printed (poppler's pdftotext), white space folded (French
    spaces included)."""
    import re
    import subprocess

    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.fail("pdftotext introuvable : `make test` installe poppler-utils (apt-get).")
    out = subprocess.run(
        [exe, "-layout", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return re.sub(r"[ \u00a0\u202f]+", " ", out)


COMITE_DEMO = ("2A", "2026-10")  # the committee report most tests read: the demo's last month


@pytest.fixture(scope="session")
def comite_demo(sample_db, tmp_path_factory):
    """`(generated, text)`: the committee report of COMITE_DEMO on the demo warehouse at the
    published threshold (`comite.generate`: PDF bytes, the report it printed, Chromium's
    counts) and its pdftotext text. Built once per run for all xdist workers (the first
    builds it under a lock and pickles it, the others read it): every test that reads this
    same report reads one build. A test that needs another input (hostile labels, another
    threshold) builds its own."""
    import pickle

    from dashboard import comite
    from pipelines import warehouse

    shared = run_root(tmp_path_factory) / "built"
    kept = shared / "comite-demo.pickle"
    with exclusive(shared / "comite-demo.lock"):
        if kept.exists():
            return pickle.loads(kept.read_bytes())
        con = warehouse.open_reader(sample_db)
        try:
            generated = comite.generate(con, *COMITE_DEMO)
        finally:
            con.close()
        built = (generated, pdftotext(generated.pdf))
        partial = kept.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(built))
        partial.rename(kept)  # never half a pickle under the name the others read
        return built


@pytest.fixture
def one_month_db(built_warehouses) -> Path:
    """A warehouse of one PECGM file (COMITE_DEMO's département and month, 40 people), built
    once per run and copied for the test: a committee report in seconds, for the tests that
    check how a report is built or written (its threshold, the command that writes and
    audits it, the benchmark's phases), not what the demo's report prints."""
    departement, month = COMITE_DEMO

    def build(settings: Settings, folder: Path) -> None:
        from pipelines import loader

        path = write_pecgm(
            folder / f"PECGM_{departement}.txt", pecgm_lines(month=month, departement=departement)
        )
        assert loader.load("pecgm", path, settings).status == "loaded"

    return built_warehouses("pecgm-one-month", build).db_path
