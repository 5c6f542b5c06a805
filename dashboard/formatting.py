"""French number formats: 1 234 and 12,5 % (narrow no-break spaces, as typeset in French)."""

from __future__ import annotations

from pipelines.indicators import POPULATION_LABELS

NNBSP = "\u202f"


def fmt_int(value: int | None) -> str:
    if value is None:
        return "n.d."
    return f"{value:,}".replace(",", NNBSP)


def fmt_share(value: float | None, decimals: int = 1) -> str:
    """0.125 -> '12,5 %'; None (empty denominator) -> 'n.d.'."""
    if value is None:
        return "n.d."
    return f"{100 * value:.{decimals}f}".replace(".", ",") + f"{NNBSP}%"


def fmt_decimal(value: float | None, decimals: int = 1) -> str:
    """1.456 -> '1,5' (decimals=1); None (none, or withheld) -> 'n.d.'."""
    if value is None or value != value:  # NaN: a missing cell of a table
        return "n.d."
    return f"{value:.{decimals}f}".replace(".", ",")


GENERIC_CODES = {  # codes that stand for no value, whatever the family
    "non_renseigne": "Non renseigné",
    "non_renseignee": "Non renseignée",
    "ensemble": "Ensemble",
    "autres": "Autres",
    **POPULATION_LABELS,
}


def code_label(code: object) -> str:
    """The words for a code no nomenclature names: the generic ones above, else the code
    with its underscores as spaces and a capital (« reprise_emploi » → « Reprise emploi »),
    never the raw code."""
    text = str(code)
    if text in GENERIC_CODES:
        return GENERIC_CODES[text]
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else text


MINUS = "\u2212"  # the typeset minus sign « − » (a hyphen « - » is not a minus in print)

MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")  # fmt: skip


def fmt_month(month: str) -> str:
    """'2026-10' -> 'octobre 2026'."""
    year, m = month.split("-")
    return f"{MONTHS_FR[int(m) - 1]} {year}"


def fmt_date(iso: str | None) -> str:
    """'2026-10-31' -> '31 octobre 2026'; None -> 'n.d.'."""
    if not iso:
        return "n.d."
    year, m, day = iso.split("-")
    return f"{int(day)} {MONTHS_FR[int(m) - 1]} {year}"


def of_month(month: str) -> str:
    """'2026-08' -> "d'août 2026", '2026-09' -> 'de septembre 2026' (elision)."""
    name = fmt_month(month)
    return f"d'{name}" if name[0] in "aeiouyéè" else f"de {name}"


MONTHS_FR_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                   "oct.", "nov.", "déc.")  # chart axes  # fmt: skip


def fmt_month_short(month: str) -> str:
    """'2026-10' -> 'oct. 2026' (chart axes)."""
    year, m = month.split("-")
    return f"{MONTHS_FR_SHORT[int(m) - 1]} {year}"
