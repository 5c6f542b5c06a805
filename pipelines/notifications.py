"""E-mails to a département's data stewards: the outcome of an arrivals run, and the
"fichier attendu manquant" alert (the expected-day rule of pipelines/calendrier.py).

Recipients: the active `donnees` accounts of the département whose login is an e-mail
address (as with OpenID Connect, where the login is the agent's address), plus the
addresses of PILOTAGE_NOTIFICATION_DESTINATAIRES (comma-separated; every département).
The server comes from PILOTAGE_SMTP_* (host, port, STARTTLS, credentials; see
`SmtpSettings.from_env`). A mail holds file names, statuses, counts, the messages of the
quality report (file, line, field, never a value) and the report itself as an HTML
attachment, which by construction names no person either.
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from pipelines import access, calendrier, journal, loader, warehouse
from pipelines.arrivees import Run, printable, summary_lines
from pipelines.errors import UsageError
from pipelines.settings import Settings
from pipelines.validation import html

ALERT_ACTION = "alerte_fichier_manquant"
PREFIX = "[Pilotage RSA]"


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server; None from `from_env` when no host is configured."""

    host: str
    port: int = 587
    starttls: bool = True
    user: str | None = None
    password: str | None = None
    sender: str = "pilotage-rsa@localhost"
    ca_file: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        """PILOTAGE_SMTP_HOST, _PORT (587), _STARTTLS (1; 0 only for a relay on the same
        machine), _USER, _PASSWORD or _PASSWORD_FILE (a systemd credential, say), _FROM,
        _CA_FILE (the CA of an internal server's certificate)."""
        env = os.environ
        host = env.get("PILOTAGE_SMTP_HOST")
        if not host:
            return None
        password = env.get("PILOTAGE_SMTP_PASSWORD")
        if not password and env.get("PILOTAGE_SMTP_PASSWORD_FILE"):
            password = Path(env["PILOTAGE_SMTP_PASSWORD_FILE"]).read_text("utf-8").strip()
        try:
            port = int(env.get("PILOTAGE_SMTP_PORT", "587"))
        except ValueError as error:
            raise UsageError("PILOTAGE_SMTP_PORT attend un numéro de port.") from error
        return cls(
            host=host,
            port=port,
            starttls=env.get("PILOTAGE_SMTP_STARTTLS", "1") not in ("0", "non", "false"),
            user=env.get("PILOTAGE_SMTP_USER") or None,
            password=password or None,
            sender=env.get("PILOTAGE_SMTP_FROM") or cls.sender,
            ca_file=env.get("PILOTAGE_SMTP_CA_FILE") or None,
        )


def configured_addresses() -> list[str]:
    value = os.environ.get("PILOTAGE_NOTIFICATION_DESTINATAIRES", "")
    return [a.strip() for a in value.split(",") if "@" in a]


def stewards(db_path: Path, departement: str | None) -> list[str]:
    """The data stewards' addresses for a département, and the configured ones."""
    found = set(configured_addresses())
    if departement:
        for login, role, deps, actif, *_ in access.list_users(db_path):
            if actif and role == "donnees" and "@" in login and departement in json.loads(deps):
                found.add(login)
    return sorted(a for a in found if a.isprintable() and " " not in a)  # never a header break


def send(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Deliver one message: STARTTLS with certificate checking, then login when configured."""
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
        client.ehlo()
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context(cafile=smtp.ca_file))
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(message)


def _message(smtp: SmtpSettings, to: list[str], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(to)
    message["Subject"] = printable(f"{PREFIX} {subject}")
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2] or None)
    message.set_content(body)
    return message


def _dashboard_link(page: str) -> str:
    base = os.environ.get("PILOTAGE_URL", "").rstrip("/")
    return f"\nTableau de bord : {base}/{page}\n" if base else ""


def run_messages(smtp: SmtpSettings, settings: Settings, run: Run) -> list[EmailMessage]:
    """One message per département concerned by the run, to its stewards: each file's
    outcome, the reports attached (files of no known département go to the configured
    addresses)."""
    by_dep: dict[str | None, list] = defaultdict(list)
    for result in run.results:
        by_dep[result.departement].append(result)
    if run.failure or run.waiting:
        by_dep.setdefault(settings.default_departement, [])
    messages = []
    for departement, results in sorted(by_dep.items(), key=lambda kv: kv[0] or ""):
        to = stewards(settings.db_path, departement)
        if not to:
            continue
        counts = defaultdict(int)
        for r in results:
            counts[r.outcome.status] += 1
        tally = ", ".join(
            f"{n} {label}" for s, label in (("loaded", "chargé(s)"), ("refused", "refusé(s)"),
                                           (loader.ALREADY_LOADED, "déjà chargé(s)"))
            if (n := counts[s])
        )  # fmt: skip
        if run.failure:
            tally = "échec du lot"
        subject = (
            f"{departement or 'arrivées'} — fichiers reçus le {run.started:%d/%m/%Y %H:%M} : "
            f"{tally or 'rien de nouveau'}"
        )
        shown = Run(run.folder, run.started, results, run.waiting, run.failure, run.skipped)
        body = "\n".join(
            [
                f"Passage du dossier d'arrivée {run.folder} le {run.started:%d/%m/%Y à %H:%M}.",
                "",
                *summary_lines(shown),
                "",
                "Les rapports qualité sont joints (sans aucune donnée personnelle : lignes, "
                "champs et codes seulement). Fichiers chargés : dossier charges/ ; refusés : "
                "dossier refuses/, à côté de leur rapport.",
                _dashboard_link("qualite"),
            ]
        )
        message = _message(smtp, to, subject, body)
        for r in results:
            if r.outcome.report is not None:
                message.add_attachment(
                    html.render(r.outcome.report.to_dict()).encode("utf-8"),
                    maintype="text",
                    subtype="html",
                    filename=printable(f"rapport_{r.arrival.paths[0].name}.html"),
                )
        messages.append(message)
    return messages


def _alerted(db_path: Path) -> set[tuple[str, str, str]]:
    """(source, département, month) already alerted (the audit trail keeps them)."""
    with access.connect(db_path) as con:
        rows = con.execute(
            "SELECT departement, details FROM audit WHERE action = ?", [ALERT_ACTION]
        ).fetchall()
    done = set()
    for departement, details in rows:
        d = json.loads(details or "{}")
        done.add((d.get("source"), departement, d.get("mois")))
    return done


def missing_files(settings: Settings, today: date) -> list[calendrier.Missing]:
    """Expected files of the latest due month not loaded, for every département the
    warehouse knows (and the configured one)."""
    departements = {settings.default_departement} - {None}
    rows: list[tuple] = []
    if settings.db_path.exists():
        con = warehouse.open_reader(settings.db_path)
        try:
            if warehouse.schema_version(con):
                rows = journal.coverage_rows(con)
        finally:
            con.close()
    departements |= {r[1] for r in rows if r[1]}
    return calendrier.missing(calendrier.loaded_map(rows), departements, today)


def missing_messages(
    smtp: SmtpSettings, settings: Settings, today: date
) -> list[tuple[calendrier.Missing, EmailMessage]]:
    """The "fichier attendu manquant" alerts not sent yet (one per file and month)."""
    done = _alerted(settings.db_path)
    out = []
    for m in missing_files(settings, today):
        if (m.source, m.departement, m.month) in done:
            continue
        to = stewards(settings.db_path, m.departement)
        if not to:
            continue
        body = (
            f"Le fichier {m.source.upper()} du département {m.departement} pour le mois "
            f"{m.month} était attendu le {m.due:%d/%m/%Y} et n'est pas chargé.\n\n"
            "Vérifiez son dépôt (SFTP ou partage) ; il sera chargé au prochain passage du "
            "dossier d'arrivée.\n" + _dashboard_link("qualite")
        )
        subject = f"{m.departement} — fichier attendu manquant : {m.source.upper()} {m.month}"
        out.append((m, _message(smtp, to, subject, body)))
    return out


def notify(settings: Settings, run: Run, today: date | None = None) -> list[str]:
    """Send the run's mails and the new missing-file alerts; returns what was sent, for the
    command's output. Nothing is sent for a run that did nothing (a timer runs it often)."""
    smtp = SmtpSettings.from_env()
    if smtp is None:
        return ["Notification : PILOTAGE_SMTP_HOST absent, aucun courriel envoyé."]
    sent = []
    if not run.nothing_done:
        for message in run_messages(smtp, settings, run):
            send(smtp, message)
            sent.append(f"Courriel envoyé à {message['To']} : {message['Subject']}")
    for m, message in missing_messages(smtp, settings, today or calendrier.today()):
        send(smtp, message)
        access.audit(
            settings.db_path, settings.operator, ALERT_ACTION, "ok", m.departement,
            source=m.source, mois=m.month, destinataires=len(message["To"].split(",")),
        )  # fmt: skip
        sent.append(f"Courriel envoyé à {message['To']} : {message['Subject']}")
    return sent
