"""Rebuild the PECGM golden input files (run by hand: python tests/golden/pecgm/build.py).

Five synthetic people, each variant of the same content in another real-world shape. The
expected warehouse rows are in expected_rows.json (tests write it with UPDATE_GOLDEN=1).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[2]))

from pipelines.readers.layout import available_layouts  # noqa: E402
from sample_data import generate  # noqa: E402


def base_people():
    """(reference date, the five people): also written as XML by tests/golden/pecgm_xml."""
    ref = generate.month_end(2026, 10)
    _, people = list(generate.simulate("2A", 1, 10, 3, ref))[-1]
    people = people[:5]
    people[0].names = ("ŒUVRE-FICTIF", "", "HÉLÈNE")  # Windows-1252 only character, then Latin-1
    people[1].cessation = (ref.replace(day=12), "90")
    people[2].radiation = (ref.replace(day=3), "14")
    return ref, people


def base_lines() -> list[str]:
    layout = available_layouts("pecgm")["001,0"]
    ref, people = base_people()
    return generate.pecgm_lines(layout, "2A", ref, people)


def main() -> None:
    lines = base_lines()
    latin1 = [line.replace("Œ", "O") for line in lines]
    full = [line.ljust(1200) for line in latin1]
    generate.write_lines(HERE / "good_lf.txt", full, "latin-1", "\n")
    generate.write_lines(HERE / "crlf.txt", full, "latin-1", "\r\n")
    generate.write_lines(HERE / "stripped.txt", [line.rstrip() for line in latin1], "latin-1", "\n")
    generate.write_lines(
        HERE / "long_lines.txt", [line.ljust(1250) for line in latin1], "latin-1", "\n"
    )
    generate.write_lines(HERE / "windows1252.txt", lines, "cp1252", "\r\n")
    generate.write_lines(HERE / "utf8.txt", lines, "utf-8", "\n")
    (HERE / "utf8_bom.txt").write_bytes(b"\xef\xbb\xbf" + (HERE / "utf8.txt").read_bytes())


if __name__ == "__main__":
    main()
