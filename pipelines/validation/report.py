"""The data-quality report of one file: identity, structural findings, expectation results.

It holds line numbers, field names and codes, never a personal value: it is printed,
stored with the journal entry and shown in the app.
"""

from __future__ import annotations

import json
from concurrent.futures import Future
from dataclasses import dataclass, field

from pipelines.validation.sql_engine import CheckResult

BLOQUANT = "bloquant"
AVERTISSEMENT = "avertissement"
# What a failed expectation does, in the words of every report (CLI, HTML, pages).
SEVERITY_LABELS = {"critical": "ligne rejetée", "warning": "avertissement"}


def severity_label(severity: str) -> str:
    """The French label of an expectation's severity (suite.py: critical or warning)."""
    return SEVERITY_LABELS.get(severity, severity)


@dataclass(frozen=True)
class Finding:
    """A structural finding (header, footer, counts, file shape)."""

    code: str
    message: str
    severity: str = BLOQUANT
    line_no: int | None = None
    field: str | None = None


def format_lines(
    lines: list[int], total: int, word: str = "ligne", file_lines: dict[int, int] | None = None
) -> str:
    """'ligne 12' / 'lignes 12, 40, 41 (+ 7 autres)'; for records that are not lines (XML
    dossiers): 'dossiers 3 (ligne 40), 9 (ligne 112)', the ordinal then the file's line."""
    if not lines:
        return ""
    file_lines = file_lines or {}
    shown = ", ".join(f"{n} (ligne {file_lines[n]})" if n in file_lines else str(n) for n in lines)
    more = total - len(lines)
    words = word if total == 1 else f"{word}s"
    return f"{words} {shown}" + (f" (+ {more} autres)" if more > 0 else "")


def percent(share: float) -> str:
    """French percentage: 0.0123 -> '1,23 %'."""
    return f"{share:.2%}".replace(".", ",").replace("%", " %")


@dataclass
class Report:
    source: str
    file_name: str
    # The file's sha256, or its computation still running in the background (FileFacts):
    # the staging must not wait for it, only whoever reads `sha256`.
    digest: Future[str] | str
    size_bytes: int
    encoding: str
    departement: str | None = None
    month: str | None = None
    reference_date: str | None = None  # ISO date, when the file carries one (PECGM header)
    variant: str | None = None  # the list of a multi-list source (LRSA DE)
    # Link with PECGM persons, filled at load: {"lignes", "liees", "taux"} (see loader)
    liaison: dict | None = None
    drift: dict | None = None  # against the previous file (pipelines/validation/drift.py)
    # France Travail API collection (pipelines/francetravail/collecte.py): counts by codeRetour
    collecte: dict | None = None
    lines_read: int = 0
    rows_read: int = 0
    rows_rejected: int = 0
    threshold: float = 0.01
    findings: list[Finding] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    # What a line number counts: "ligne" (text files), "dossier" (XML: the ordinal, with
    # its line in the file in `file_lines` for the records the messages list)
    record_word: str = "ligne"
    file_lines: dict[int, int] = field(default_factory=dict)

    @classmethod
    def for_file(cls, source: str, facts, threshold: float) -> Report:
        """An empty report for a file (or a unit of files) about to be staged."""
        return cls(
            source,
            facts.file_name,
            facts.digest,
            facts.size_bytes,
            facts.encoding,
            threshold=threshold,
        )

    @property
    def sha256(self) -> str:
        return self.digest if isinstance(self.digest, str) else self.digest.result()

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == BLOQUANT]

    @property
    def loadable(self) -> bool:
        return not self.blocking

    @property
    def rows_loadable(self) -> int:
        return self.rows_read - self.rows_rejected if self.loadable else 0

    def check_messages(self) -> list[str]:
        """One French line per failed expectation: file, lines, field, what is wrong."""
        out = []
        for c in self.checks:
            if not c.unexpected_count:
                continue
            e = c.expectation
            where = format_lines(
                c.line_numbers, c.unexpected_count, self.record_word, self.file_lines
            )
            level = severity_label(e.severity)
            codes = f" (valeurs : {', '.join(c.unexpected_codes)})" if c.unexpected_codes else ""
            out.append(
                f"{c.file_name or self.file_name}, {where}, champ {e.field_label} : {e.description}{codes} "
                f"[{c.unexpected_count} {self.record_word}(s), {level}]"
            )
        return out

    def summary_text(self) -> str:
        """What `validate` and `load` print."""
        head = [
            f"Fichier      : {self.file_name} ({self.source})",
            f"Empreinte    : sha256 {self.sha256[:16]}…, {self.size_bytes} octets, encodage {self.encoding}",
            f"Département  : {self.departement or '?'}    Mois : {self.month or '?'}"
            + (f"    Liste : {self.variant}" if self.variant else ""),
            f"Lignes       : {self.lines_read} lues, {self.rows_read} enregistrements, "
            f"{self.rows_rejected} rejetés ({percent(self._share())}, seuil {percent(self.threshold)})",
        ]
        body = [f"BLOQUANT : {f.message}" for f in self.blocking]
        body += [f"Avertissement : {f.message}" for f in self.findings if f.severity != BLOQUANT]
        body += self.check_messages()
        verdict = "Fichier chargeable." if self.loadable else "Fichier refusé : rien n'est chargé."
        return "\n".join([*head, *body, verdict])

    def _share(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "encoding": self.encoding,
            "departement": self.departement,
            "month": self.month,
            "reference_date": self.reference_date,
            "variant": self.variant,
            "liaison": self.liaison,
            "drift": self.drift,
            "collecte": self.collecte,
            "lines_read": self.lines_read,
            "rows_read": self.rows_read,
            "rows_rejected": self.rows_rejected,
            "threshold": self.threshold,
            "loadable": self.loadable,
            "findings": [f.__dict__ for f in self.findings],
            "checks": [c.to_dict() for c in self.checks],
            "record_word": self.record_word,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)
