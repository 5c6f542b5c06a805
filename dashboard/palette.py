"""One colour per code on every chart (Okabe-Ito, colour-blind safe): the same category,
modality or parcours type has the same colour on every page and in the committee report."""

from __future__ import annotations

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
NON_RENSEIGNE = "#999999"

COLOURS: dict[str, dict[str, str]] = {
    "categorie": {
        "1": OKABE_ITO[4],
        "2": OKABE_ITO[1],
        "3": OKABE_ITO[2],
        "4": OKABE_ITO[0],
        "5": OKABE_ITO[5],
        "6": "#7FB8DA",  # 6-8 (reduced activity): lighter tints of 1-3's blues and green
        "7": "#A9D8F5",
        "8": "#66C5AB",
        "F": OKABE_ITO[6],
        "G": OKABE_ITO[3],
        "non_renseignee": NON_RENSEIGNE,
    },
    "modalite": {
        "SUI": OKABE_ITO[2],
        "GUI": OKABE_ITO[1],
        "REN": OKABE_ITO[4],
        "GLO": OKABE_ITO[5],
        "APR": OKABE_ITO[0],
        "non_renseignee": NON_RENSEIGNE,
    },
    "parcours": {
        "social": OKABE_ITO[5],
        "Social": OKABE_ITO[5],
        "socio_professionnel": OKABE_ITO[0],
        "Socio-professionnel": OKABE_ITO[0],
        "professionnel": OKABE_ITO[4],
        "Professionnel": OKABE_ITO[4],
        "ensemble": OKABE_ITO[7],
        "Ensemble": OKABE_ITO[7],
        "non_renseigne": NON_RENSEIGNE,
    },
    "sexe": {"F": OKABE_ITO[6], "M": OKABE_ITO[1], "non_renseigne": NON_RENSEIGNE},
    "tranche_age": {
        "moins_25": OKABE_ITO[0],
        "25_34": OKABE_ITO[1],
        "35_44": OKABE_ITO[2],
        "45_54": OKABE_ITO[4],
        "55_plus": OKABE_ITO[5],
        "non_renseignee": NON_RENSEIGNE,
    },
    "flux": {
        "inscriptions": OKABE_ITO[2],
        "cessations": OKABE_ITO[0],
        "radiations": OKABE_ITO[5],
    },
    "cessations_motif": {
        "reprise_emploi": OKABE_ITO[2],
        "formation": OKABE_ITO[1],
        "absence_controle": OKABE_ITO[5],
        "sante": OKABE_ITO[6],
        "autres": NON_RENSEIGNE,
    },
}


# Curves told apart by colour alone (cohortes, groups without a colour of their own):
# Okabe-Ito without its yellow, unreadable as a thin line on white, darkest first.
CURVES = (OKABE_ITO[4], OKABE_ITO[5], OKABE_ITO[2], OKABE_ITO[6], OKABE_ITO[0], OKABE_ITO[1],
          OKABE_ITO[7])  # fmt: skip
NEUTRAL = OKABE_ITO[4]  # the bars of a family without colours of its own: one colour
PROVISOIRE = "provisoire"  # the legend entry of values whose window is still open

# The committee report's own colours (dashboard/templates/comite.css reads them as CSS
# variables, never a colour of its own): the dashboard's blue for titles and rules, its
# green and vermillion for a change for the better or the worse, greys for text and lines.
REPORT = {
    "accent": OKABE_ITO[4],
    "mieux": OKABE_ITO[2],
    "moins-bien": OKABE_ITO[5],
    "texte": "#1B1B1B",
    "note": "#444444",
    "filet": "#BBBBBB",
    "entete": "#EAF2F8",
}


def css_variables(extra: dict[str, str] | None = None) -> str:
    """The report's colours (and `extra` values) as a CSS `:root` rule."""
    pairs = {**REPORT, **(extra or {})}
    return ":root { " + " ".join(f"--{k}: {v};" for k, v in pairs.items()) + " }"
