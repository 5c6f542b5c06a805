"""The Synthèse tiles and automatic sentences, computed once for the page and the report.

A tile is one key figure of the month with its change since the previous month; the
sentences say in words what changed. Both read the `indicators.summary` of two months and
are masked at the threshold of the view they are built for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dashboard.figures import PARCOURS_LABELS
from dashboard.formatting import fmt_int, fmt_month, fmt_share
from pipelines import masking


@dataclass(frozen=True)
class Tile:
    label: str
    value: str  # as printed (masked, formatted)
    delta: str | None
    help: str
    lower_is_better: bool = False


@dataclass(frozen=True)
class Headline:
    tiles: list[Tile]
    sentences: list[str]


def cat_1_3(s: dict | None) -> float | None:
    """Share of the stock in categories 1, 2 or 3 (PECGM), over `stock_total`."""
    if not s or not s.get("stock_total"):
        return None
    n = sum(v for k, v in s["categorie"].items() if k in ("1", "2", "3"))
    return n / s["stock_total"]


def value_of(summary: dict | None, key: str, sub: str | None = None):
    if not summary:
        return None
    value = summary.get(key)
    return value.get(sub) if isinstance(value, dict) and sub else value


def orientations_total(summary: dict | None) -> int | None:
    o = value_of(summary, "orientations")
    return sum(o.values()) if o is not None else None


def delta_points(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    return f"{100 * (now - before):+.1f} pt".replace(".", ",")


def delta_days(now, before) -> str | None:
    return None if now is None or before is None else f"{now - before:+d} j"


def delta_count(now, before) -> str | None:
    return None if now is None or before is None else fmt_int(now - before)


def days(value) -> str:
    return "n.d." if value is None else f"{value} j"


@dataclass(frozen=True)
class TileSpec:
    label: str
    get: Callable[[dict | None], object]
    kind: str  # "count", "share", "days"
    help: str
    lower_is_better: bool = False
    in_sentences: bool = True


TILES = [
    TileSpec(
        "Bénéficiaires du RSA inscrits à France Travail",
        lambda x: value_of(x, "stock_total"),
        "count",
        "stock_total : nombre d'enregistrements du fichier PECGM du mois (une ligne par personne).",
        in_sentences=False,
    ),
    TileSpec(
        "Part en catégories 1 à 3",
        cat_1_3,
        "share",
        "Inscrits en catégories 1, 2 ou 3 sur le stock du mois.",
        in_sentences=False,
    ),
    TileSpec(
        "Part avec contrat d'engagement notifié",
        lambda x: value_of(x, "cer_notifie_share"),
        "share",
        "cer_notifie_share : date de notification du PPAE valant contrat d'engagement renseignée, sur le stock du mois.",
        in_sentences=False,
    ),
    TileSpec(
        "Part contactée dans les 90 jours",
        lambda x: value_of(x, "contact_90j_share"),
        "share",
        "contact_90j_share : dernier contact au plus 90 jours avant la date de référence du fichier, sur le stock du mois.",
        in_sentences=False,
    ),
    TileSpec(
        "Décisions d'orientation du mois",
        orientations_total,
        "count",
        "orientations : décisions datées du mois (CGPEM, reprise de stock, parcours).",
        in_sentences=False,
    ),
    TileSpec(
        "Délai médian d'orientation",
        lambda x: value_of(x, "delai_orientation_jours", "mediane"),
        "days",
        "delai_orientation_jours : de l'entrée au RSA à l'orientation, cohorte des entrants du mois.",
        lower_is_better=True,
    ),
    TileSpec(
        "Orientés en 30 jours",
        lambda x: value_of(x, "orientes_30j_share"),
        "share",
        "orientes_30j_share : entrants du mois orientés dans les 30 jours, sur tous les entrants du mois.",
    ),
    TileSpec(
        "Délai médian jusqu'au contrat",
        lambda x: value_of(x, "delai_contrat_jours", "mediane"),
        "days",
        "delai_contrat_jours : de l'orientation au contrat d'engagement, cohorte des orientés du mois.",
        lower_is_better=True,
    ),
    TileSpec(
        "Contrat dans les 30 jours",
        lambda x: value_of(x, "contrat_30j_share"),
        "share",
        "contrat_30j_share : orientés du mois ayant un contrat dans les 30 jours.",
    ),
    TileSpec(
        "À 15 heures ou plus par semaine",
        lambda x: value_of(x, "heures_hebdo", "heures_15_share"),
        "share",
        "heures_15_share : personnes en parcours actif à 15 heures de prestations ou plus par semaine.",
    ),
]


def _shown(spec: TileSpec, value, limit: int) -> str:
    if spec.kind == "count":
        if value is None:
            return "n.d."
        return masking.masked_label(masking.mask_distribution({"n": value}, limit)["n"], limit)
    if spec.kind == "days":
        return days(value)
    return fmt_share(value)


def _delta(spec: TileSpec, now, before, limit: int) -> str | None:
    if spec.kind == "count":
        small = any(v is not None and 0 < v < limit for v in (now, before))
        return None if small else delta_count(now, before)
    if spec.kind == "days":
        return delta_days(now, before)
    return delta_points(now, before)


def tiles(current: dict, previous: dict | None, limit: int) -> list[Tile]:
    """The month's key figures with their change since the previous month."""
    out = []
    for spec in TILES:
        now, before = spec.get(current), spec.get(previous)
        out.append(
            Tile(
                spec.label,
                _shown(spec, now, limit),
                _delta(spec, now, before, limit),
                spec.help,
                spec.lower_is_better,
            )
        )
    return out


def sentences(
    current: dict, previous: dict | None, month: str, previous_month: str | None
) -> list[str]:
    """Three to five plain sentences on what changed since last month."""
    out = []
    if previous and current.get("stock_total") is not None:
        diff = current["stock_total"] - (previous.get("stock_total") or 0)
        if diff:
            out.append(
                f"Le nombre de bénéficiaires du RSA inscrits à France Travail "
                f"{'augmente' if diff > 0 else 'baisse'} de {fmt_int(abs(diff))} "
                f"par rapport à {fmt_month(previous_month)}."
            )
    for spec in TILES:
        if not spec.in_sentences:
            continue
        now, before = spec.get(current), spec.get(previous)
        if now is None or before is None or now == before:
            continue
        if isinstance(now, int):
            out.append(
                f"{spec.label} : {'hausse' if now > before else 'baisse'} de {abs(now - before)} jours "
                f"({before} j en {fmt_month(previous_month)}, {now} j en {fmt_month(month)})."
            )
        elif abs(now - before) >= 0.01:
            out.append(
                f"{spec.label} : {fmt_share(now)} en {fmt_month(month)}, "
                f"contre {fmt_share(before)} le mois précédent."
            )
        if len(out) >= 5:
            break
    if current.get("orientations"):
        top = max(current["orientations"], key=current["orientations"].get)
        out.append(
            f"Le parcours le plus prescrit ce mois est le parcours "
            f"{PARCOURS_LABELS.get(top, top).lower()}."
        )
    return out[:5]


def headline(
    current: dict, previous: dict | None, month: str, previous_month: str | None, limit: int
) -> Headline:
    return Headline(
        tiles(current, previous, limit), sentences(current, previous, month, previous_month)
    )
