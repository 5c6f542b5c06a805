"""The quality report as one standalone HTML file: inline style, no script, no outside
address (it is opened on machines with no internet and must never call out), and only
what the report holds: line numbers, fields, codes, counts; never a personal value."""

from __future__ import annotations

from html import escape

from pipelines.validation.drift import comparison_sentence, reference_words
from pipelines.validation.report import BLOQUANT, percent, severity_label

STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#222;max-width:72rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}.ok{color:#1b7f3b}.ko{color:#b00020;font-weight:600}
.bloquant{background:#fde8e8}.avertissement{background:#fff6e0}.derive{background:#fff6e0}
.verdict{font-size:1.1rem;font-weight:600;padding:.6rem;border-radius:.3rem}
"""


def ordered_findings(findings: list[dict]) -> list[dict]:
    """A stored report's findings in the order every view of it shows them: drift
    first (the news of a file that loads), then blocking, then the other warnings."""
    return sorted(findings, key=lambda f: (f["code"] != "derive", f["severity"] != BLOQUANT))


def link_label(source: str | None) -> str:
    """What the link rate of a report measures: a CAF/MSA flux is linked with the
    orientation files, every other file with the PECGM stock."""
    return "Liaison avec les orientations" if source == "caf" else "Liaison avec le PECGM"


def _row(*cells: object, css: str = "") -> str:
    attr = f' class="{css}"' if css else ""
    return f"<tr{attr}>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>"


def render(report: dict) -> str:
    """HTML of a report as stored in the journal (`Report.to_dict()`)."""
    loadable = report.get("loadable")
    verdict = (
        '<p class="verdict ok">Fichier chargeable.</p>'
        if loadable
        else '<p class="verdict ko bloquant">Fichier refusé : rien n\'est chargé.</p>'
    )
    rows_read = report.get("rows_read") or 0
    rejected = report.get("rows_rejected") or 0
    identity = [
        ("Fichier", report.get("file_name")),
        (
            "Source",
            report.get("source")
            + (f" — liste {report['variant']}" if report.get("variant") else ""),
        ),
        ("sha256", report.get("sha256")),
        ("Taille", f"{report.get('size_bytes')} octets"),
        ("Encodage", report.get("encoding")),
        ("Département", report.get("departement") or "?"),
        ("Mois", report.get("month") or "?"),
        ("Lignes lues", report.get("lines_read")),
        ("Enregistrements", rows_read),
        (
            "Rejetés",
            f"{rejected} ({percent(rejected / rows_read if rows_read else 0)}, seuil {percent(report.get('threshold') or 0)})",
        ),
    ]
    if report.get("liaison") and report["liaison"].get("taux") is not None:
        link = report["liaison"]
        identity.append(
            (
                link_label(report.get("source")),
                f"{link['liees']} sur {link['lignes']} ({percent(link['taux'])})",
            )
        )
    if report.get("collecte"):  # a France Travail API collection: its result by codeRetour
        c = report["collecte"]
        identity.append(
            (
                "Collecte France Travail",
                f"{c['trouvees']} trouvée(s), {c['non_trouvees']} non trouvée(s), "
                f"{c['erreurs']} en erreur ; codes retour : "
                + ", ".join(f"{k} {v}" for k, v in c["par_code_retour"].items()),
            )
        )
    findings = ordered_findings(report.get("findings", []))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="fr"><head><meta charset="utf-8">',
        f"<title>Rapport qualité — {escape(str(report.get('file_name')))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Rapport qualité — {escape(str(report.get('file_name')))}</h1>",
        verdict,
        "<h2>Identité du fichier</h2><table>",
        *(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in identity),
        "</table>",
    ]
    if findings:
        parts += [
            "<h2>Constats (dérive d'abord)</h2><table><tr><th>Gravité</th><th>Constat</th><th>Ligne</th><th>Champ</th></tr>"
        ]
        for f in findings:
            css = "derive" if f["code"] == "derive" else f["severity"]
            parts.append(
                _row(
                    f["severity"],
                    f["message"],
                    f.get("line_no") or "",
                    f.get("field") or "",
                    css=css,
                )
            )
        parts.append("</table>")
    drift = report.get("drift")
    if drift:
        prev = drift["precedent"]
        words = reference_words(prev)
        parts.append(
            f"<h2>Comparaison</h2><p>{escape(comparison_sentence(drift) or '')}</p><table>"
            "<tr><th>Mesure</th><th>Valeur</th></tr>"
        )
        parts.append(_row(f"Enregistrements {words['du']}", prev["lignes"]))
        if drift.get("variation_lignes") is not None:
            parts.append(
                _row("Variation du nombre d'enregistrements", percent(drift["variation_lignes"]))
            )
        absent = drift.get("personnes_absentes")
        if absent:
            parts.append(
                _row(
                    f"Personnes {words['du']} absentes",
                    f"{absent['nombre']} ({percent(absent['part'] or 0)})",
                )
            )
        for family, moved in (drift.get("parts") or {}).items():
            for code, delta in moved.items():
                parts.append(
                    _row(f"Part {family} {code}", f"{delta * 100:+.1f} points".replace(".", ","))
                )
        parts.append("</table>")
    parts += [
        "<h2>Attentes Great Expectations</h2><table>",
        "<tr><th>Champ</th><th>Attente</th><th>Gravité</th><th>Résultat</th><th>Lignes en écart</th><th>Part</th><th>Premières lignes (20 au plus)</th><th>Codes</th></tr>",
    ]
    for c in sorted(
        report.get("checks", []), key=lambda c: (c["success"], c["severity"] != "critical")
    ):
        where = (f"{c['file_name']} : " if c.get("file_name") else "") + ", ".join(
            map(str, c["line_numbers"])
        )
        parts.append(
            _row(
                c["champ"],
                c["description"] or c["expectation_type"],
                severity_label(c["severity"]),
                "réussie" if c["success"] else "échec",
                c["unexpected_count"],
                percent(c["unexpected_percent"] / 100),
                where,
                ", ".join(c.get("unexpected_codes") or []),
                css=""
                if c["success"]
                else ("bloquant" if c["severity"] == "critical" else "avertissement"),
            )
        )
    parts += ["</table>", "</body></html>"]
    return "\n".join(parts)
