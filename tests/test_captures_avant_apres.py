"""tests/captures_avant_apres.py, the before/after screenshots tool of issue 31: the faulty
CGPEM file it uploads fails the checks it means to show, the PDF page it calls
« Orientations » is the one titled so, a PNG too big for a note is shrunk, and in a real
headless Chromium it captures today's pages (the lead reruns it after each merge)."""

from __future__ import annotations

import random

import pytest

from dashboard.uploads import arrivals
from dashboard.views import chargement as view
from pipelines.access import User
from tests import captures_avant_apres as captures

STEWARD = User("steward", "donnees", ("2A",))


def test_the_faulty_file_fails_one_check_per_fault() -> None:
    settings = view.settings_for(STEWARD)
    folder = view.arrivals_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = captures.failing_cgpem(folder, "2A")
    arrival = next(a for a in arrivals(folder) if a.path == path)
    request = view.Request("cgpem", [], [arrival], "2A", None, None)
    failed = view.check(STEWARD, settings, request, {}).checks().failed
    fields = " | ".join(failed["champ"])
    for column, _ in captures.FAULTS:
        assert column.split(" du ")[0] in fields, column  # the identifier's label is shorter
    assert len(failed) > len(captures.FAULTS)  # and the duplicated line


def test_the_orientations_page_is_the_one_titled_so() -> None:
    pages = [
        "PILOTAGE RSA\nRapport mensuel",
        "\n  Chiffres clés\nDécisions d'orientation   106",  # names orientations, not its title
        "Orientations\nDécisions d'orientation par type de parcours",
    ]
    assert captures.orientations_page(pages) == 3
    with pytest.raises(SystemExit):
        captures.orientations_page(pages[:2])


def test_a_png_too_big_for_a_note_is_shrunk(tmp_path, monkeypatch) -> None:
    """Noise at a tenth of the limit and a sixteenth of the pixels: the palette alone is
    not enough, so the loop also resizes, as it did on a full screen of noise (7-9 s)."""
    from PIL import Image

    monkeypatch.setattr(captures, "MAX_BYTES", captures.MAX_BYTES // 10)
    noise = random.Random(31).randbytes(360 * 225 * 3)  # incompressible
    path = tmp_path / "bruit.png"
    Image.frombytes("RGB", (360, 225), noise).save(path)
    assert path.stat().st_size > captures.MAX_BYTES
    captures.shrink(path)
    assert path.stat().st_size <= captures.MAX_BYTES
    assert 0 < Image.open(path).width < 360  # resized, not only paletted


def test_the_tool_captures_the_current_pages(server, browser, tmp_path, monkeypatch) -> None:
    """Each capture waits for its page's state (a missing heading, tile or chart times out
    and fails here); the pictures have the sizes the note shows. The first capture signs in
    through the form, as the tool always does; the next two start from the session cookie
    the form would have set (`_open`, as the other browser tests): the form's two runs are
    the subject of tests/test_e2e_session.py, not worth paying three times here."""
    from PIL import Image

    from tests.test_e2e_browser import _open

    through_form = captures.sign_in
    signed: list[str] = []

    def sign_in(page, url: str, title: str, login: str) -> None:
        signed.append(url)
        (through_form if len(signed) == 1 else _open)(page, url, title, login)

    monkeypatch.setattr(captures, "sign_in", sign_in)

    # The tool's command line as the lead runs it, in the suite's Chromium (Playwright's
    # sync API cannot be started twice in one process; a browser of its own would cost a
    # second Chromium).
    assert captures.main(["--base-url", server, "--out", str(tmp_path)], browser=browser) == 0
    sizes = {p.name: Image.open(p).size for p in tmp_path.glob("apres-*.png")}
    desktop = (captures.DESKTOP["width"], captures.DESKTOP["height"])
    assert sizes["apres-chargement.png"] == desktop
    assert sizes["apres-synthese.png"] == desktop
    width, height = sizes["apres-telephone.png"]
    assert width > 2 * captures.PHONE["width"] and height == captures.PHONE["height"]
    assert all(p.stat().st_size <= captures.MAX_BYTES for p in tmp_path.glob("*.png"))
    assert [u.split("?")[0].rsplit("/", 1)[1] for u in signed] == ["chargement", *["synthese"] * 2]
