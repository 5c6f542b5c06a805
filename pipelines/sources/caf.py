"""CAF / MSA flux bénéficiaires (national format vrsb0801, XML): the RSA population.

The flux is read as a stream by the hardened reader (`pipelines.readers.xml_safe`): one household
(`InfosFoyerRSA`) in memory at a time. Each household is validated against its declaration
in the public schema `schemas/vrsb0801.xsd` (the schema's elements are global, so a
household is checked on its own, as it streams by, rather than building the whole document
for one `assertValid`); then only the elements named in `layouts/caf.yaml` are read, into an
Arrow table with one row per person (a household without a person keeps one row, so that it
is reported). DuckDB then normalises the codes, the GX suite `expectations/caf.json` runs
on that table through the SQL engine, and `sql/staging/caf.sql` pseudonymises and keeps
what the indicators need.

The unit of quarantine is the household (its ordinal in the file is the "line" number of
the report): the flux updates a household as a whole, so a household with a person that
cannot be read is set aside whole rather than loaded with a member missing.

A flux replaces the load of the same département, reference month and type (a monthly
flux sent again; a daily flux of the same day): history is kept per reference date, and
`caf_etat(day)` in the warehouse gives each household's state at a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa
from lxml import etree

from pipelines.errors import FileRefused
from pipelines.nomenclatures import departement_sql_list
from pipelines.readers.arrow import integers, strings
from pipelines.readers.encoding import FileFacts
from pipelines.readers.xml_safe import PARSER_OPTIONS, iter_top_level
from pipelines.readers.yaml_file import read_yaml
from pipelines.settings import LAYOUTS_DIR, PACKAGE_DIR
from pipelines.sources.staging import apply_suite, future_flag_sql, run_staging_sql
from pipelines.validation.report import AVERTISSEMENT, Finding, Report
from pipelines.validation.suite import load_suite

SOURCE = "caf"
TABLE = "caf_beneficiaire"
SUPERSEDE = "month"  # same département, month and variant (monthly, or the day of a daily flux)
INPUT = "caf_input"
FIELDS = "caf_fields"
DRIFT_SHARES: dict[str, tuple[str, str]] = {}  # drift compares the households' count only
REJECTED = "caf_rejected"
SCHEMAS_DIR = PACKAGE_DIR / "schemas"
TYPES_FLUX = {"M": "mensuel", "I": "quotidien"}


@dataclass(frozen=True)
class Element:
    """One element the product reads: its name in the staging table and its paths."""

    name: str
    paths: tuple[str, ...]  # relative to the block; the first one present wins
    usage: str
    needed: bool = False  # the indicators cannot do without it: a schema error on it blocks
    not_future: bool = False  # after the flux's reference date (+ future_days): rejected
    future_days: int = 0

    def read(self, block: etree._Element) -> str | None:
        for path in self.paths:
            text = block.findtext(path)
            if text is not None and text.strip():
                return text.strip()
        return None


@dataclass(frozen=True)
class Block:
    """A block of the flux and the elements read from it.

    All of a block's elements are selected by one compiled XPath union (one walk of the
    block in C instead of one path search per element) and told apart by their tag, so
    the tags of a block's elements must differ; when a field lists several paths, the
    first present in document order wins.
    """

    element: str
    fields: tuple[Element, ...]

    def __post_init__(self) -> None:
        tags: dict[str, str] = {}
        for f in self.fields:
            for path in f.paths:
                tag = re.sub(r"\[[^]]*\]", "", path).rsplit("/", 1)[-1]
                if tags.setdefault(tag, f.name) != f.name:
                    raise ValueError(f"caf.yaml: element {tag} read by two fields")
        object.__setattr__(self, "_by_tag", tags)
        union = " | ".join(p for f in self.fields for p in f.paths)
        object.__setattr__(self, "_select", etree.XPath(union))
        object.__setattr__(self, "_order", {f.name: i for i, f in enumerate(self.fields)})

    def read_all(self, block: etree._Element) -> list[str | None]:
        """The text of each field's element (stripped; None when absent or blank)."""
        values: list[str | None] = [None] * len(self.fields)
        seen = set()
        for node in self._select(block):
            name = self._by_tag[node.tag]
            if name in seen:
                continue
            text = (node.text or "").strip()
            if text:
                values[self._order[name]] = text
                seen.add(name)
        return values


@dataclass(frozen=True)
class CafLayout:
    schema: str
    root: str
    flux: Block
    fin: Block
    foyer: Block
    personne: Block

    def needed_paths(self) -> tuple[str, ...]:
        """Paths from the household of the elements the indicators need, predicates removed."""
        out = [f"{self.foyer.element}/{p}" for f in self.foyer.fields if f.needed for p in f.paths]
        out += [
            f"{self.foyer.element}/{self.personne.element}/{p}"
            for f in self.personne.fields
            if f.needed
            for p in f.paths
        ]
        return tuple(re.sub(r"\[[^]]*\]", "", p) for p in out)


@cache
def layout() -> CafLayout:
    raw = read_yaml(LAYOUTS_DIR / "caf.yaml")

    def block(name: str) -> Block:
        fields = tuple(
            Element(
                f["name"],
                tuple(f["path"]) if isinstance(f["path"], list) else (f["path"],),
                f["usage"],
                bool(f.get("needed")),
                bool(f.get("not_future")),
                int(f.get("future_days", 0)),
            )
            for f in raw[name]["fields"]
        )
        return Block(raw[name]["element"], fields)

    return CafLayout(
        raw["schema"],
        raw["root"],
        block("flux"),
        block("fin"),
        block("foyer"),
        block("personne"),
    )


@cache
def schema() -> etree.XMLSchema:
    """The vrsb0801 schema, parsed with the same safe options as the files."""
    parser = etree.XMLParser(**PARSER_OPTIONS)
    return etree.XMLSchema(etree.parse(str(SCHEMAS_DIR / layout().schema), parser))


# --- schema errors: element paths and a kind, never the text of lxml's message ------------

_EXPECTED = re.compile(r"Expected is (?:one of )?\( ([A-Za-z0-9_, ]+) \)")
_ELEMENT = re.compile(r"^Element '([A-Za-z0-9_]+)'")
_KINDS = {
    "SCHEMAV_ELEMENT_CONTENT": "élément manquant, en trop ou hors de son ordre",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_4": "élément manquant",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": "valeur hors du type attendu",
    "SCHEMAV_CVC_MAXLENGTH_VALID": "valeur trop longue",
    "SCHEMAV_CVC_LENGTH_VALID": "longueur de valeur incorrecte",
    "SCHEMAV_CVC_TYPE_3_1_1": "attribut inattendu",
}


@dataclass(frozen=True)
class SchemaError:
    """One schema error: where (element paths from the block) and what, never a value."""

    path: str  # the element at fault, or the one whose content is wrong
    kind: str  # in French
    container: str  # the element whose content the error is about
    expected: tuple[str, ...]  # element names the schema expected there

    @property
    def code(self) -> str:
        return f"{self.path} : {self.kind}"


def _schema_errors(error_log) -> list[SchemaError]:
    """The schema errors of one validation, read from lxml's log without its messages.

    lxml's message may quote the offending value (a bad date, a too long text): only the
    element path, the element names the schema expected and the error type are read.
    """
    out = []
    for e in error_log:
        path = re.sub(r"\[\d+\]", "", e.path or "").strip("/")
        kind = _KINDS.get(e.type_name, "non conforme au schéma")
        found = _EXPECTED.search(e.message or "")
        expected = tuple(n.strip() for n in found[1].split(",") if n.strip()) if found else ()
        element = _ELEMENT.match(e.message or "")
        container = path
        if element and path.endswith("/" + element[1]) and "not expected" in (e.message or ""):
            container = path.rsplit("/", 1)[0]  # an unexpected element: its parent's content
        if expected:
            kind = f"{kind} (attendu : {', '.join(expected[:4])})"
        out.append(SchemaError(path, kind, container, expected))
    return out


def _touches(path: str, used: tuple[str, ...]) -> bool:
    """Whether an error at `path` concerns an element the product needs (or one above it)."""
    return any(u == path or u.startswith(path + "/") or path.startswith(u + "/") for u in used)


def _blocking(error: SchemaError, block: etree._Element, needed: tuple[str, ...]) -> bool:
    """A schema error blocks a household when it is about an element the indicators need.

    An element "missing or out of order" is judged by the elements the schema expected
    there that are really absent (a household that has its persons is not short of a
    `Personne` because the schema would accept one more).
    """
    if not error.expected:
        return _touches(error.path, needed)
    relative = error.container.partition("/")[2]
    parent = block.find(relative) if relative else block
    absent = [n for n in error.expected if parent is None or parent.find(n) is None] or list(
        error.expected
    )
    return any(_touches(f"{error.container}/{n}", needed) for n in absent)


# --- reading ---------------------------------------------------------------------------

COLUMNS = (
    "foyer_no",
    "personne_no",
    *(f.name for f in layout().foyer.fields),
    *(f.name for f in layout().personne.fields),
    "schema_bloquant",
    "schema_avertissement",
)


@dataclass
class FluxHeader:
    values: dict[str, str | None]
    schema_errors: list[tuple[str, str]]
    encoding: str | None
    nb_foyers_annonce: str | None = None
    fin_lue: bool = False


def _household_rows(
    foyer: etree._Element, ordinal: int, needed: tuple[str, ...]
) -> list[tuple[str | int | None, ...]]:
    """The rows of one household: one per person, or one empty-person row.

    The household is validated against its declaration in the schema; its errors are
    sorted into blocking ones (about an element in `needed`) and warnings.
    """
    lay = layout()
    xsd = schema()
    tail: list[str | None] = [None, None]
    if not xsd.validate(foyer):
        blocking: set[str] = set()
        warning: set[str] = set()
        persons_missing = foyer.find(lay.personne.element) is None
        for error in _schema_errors(xsd.error_log):
            if persons_missing and error.expected == (lay.personne.element,):
                continue  # the household without a person has a check of its own
            (blocking if _blocking(error, foyer, needed) else warning).add(error.code)
        tail = ["; ".join(sorted(blocking)) or None, "; ".join(sorted(warning)) or None]
    household = lay.foyer.read_all(foyer)
    persons = foyer.findall(lay.personne.element)
    # Tuples of strings and numbers: the garbage collector stops tracking them, where a
    # list per row made each collection walk every row read so far (quadratic in the file).
    if not persons:
        return [(ordinal, 0, *household, *([None] * len(lay.personne.fields)), *tail)]
    return [
        (ordinal, rank, *household, *lay.personne.read_all(person), *tail)
        for rank, person in enumerate(persons, start=1)
    ]


def read_flux(path: Path, file_name: str) -> tuple[FluxHeader, pa.Table]:
    """Stream the flux once: its header, its footer and the rows of every household, each
    household validated against its declaration in the schema as it streams by.

    Validating the whole document while it streams (lxml's `iterparse(schema=…)`) costs
    about the same CPU but only reports its first error, at the end of the file: a second
    pass would then be needed to name the faulty households and set only them aside.
    """
    lay = layout()
    xsd = schema()
    needed = lay.needed_paths()
    rows: list[tuple] = []
    header = FluxHeader({}, [], None)
    ordinal = 0
    tags = (lay.flux.element, lay.foyer.element, lay.fin.element)
    # xml_safe's hardening, with lxml's tag filter selecting the blocks in C: Python sees
    # only the blocks asked for (per-element callbacks made a flux four times slower)
    for element in iter_top_level(path, tags, file_name=file_name):
        if element.tag == lay.foyer.element:
            ordinal += 1
            rows += _household_rows(element, ordinal, needed)
        elif element.tag == lay.flux.element:
            header.encoding = element.getroottree().docinfo.encoding
            header.values = {f.name: f.read(element) for f in lay.flux.fields}
            if not xsd.validate(element):
                header.schema_errors = [(e.path, e.kind) for e in _schema_errors(xsd.error_log)]
            root = element.getparent()
            if root is None or root.tag != lay.root:
                raise FileRefused(
                    f"{file_name} : ce n'est pas un flux bénéficiaires CAF/MSA "
                    f"(élément racine {lay.root} attendu)."
                )
        else:
            header.fin_lue = True
            header.nb_foyers_annonce = lay.fin.fields[0].read(element)
    columns = zip(*rows, strict=True) if rows else ([] for _ in COLUMNS)
    arrays = {
        name: integers(values) if name.endswith("_no") else strings(values)
        for name, values in zip(COLUMNS, columns, strict=True)
    }
    return header, pa.table(arrays)


# --- checks ----------------------------------------------------------------------------


def _parse_iso(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _check_header(header: FluxHeader, report: Report, name: str) -> None:
    """The flux's identification block: reference date and type; the footer."""
    flux = layout().flux.element
    if not header.values:
        raise FileRefused(f"{name} : bloc {flux} absent ; ce n'est pas un flux bénéficiaires.")
    for path, kind in header.schema_errors:
        report.findings.append(
            Finding("schema_entete", f"{name}, élément {path} : {kind}.", field=path)
        )
    reference = _parse_iso(header.values.get("date_reference"))
    if reference is None:
        report.findings.append(
            Finding(
                "date_reference",
                f"{name}, élément {flux}/DTREF : date de référence absente ou invalide.",
                field=f"{flux}/DTREF",
            )
        )
    else:
        report.reference_date = reference.isoformat()
        report.month = reference.strftime("%Y-%m")
    type_flux = header.values.get("type_flux")
    if type_flux not in TYPES_FLUX:
        report.findings.append(
            Finding(
                "type_flux",
                f"{name}, élément {flux}/TYPEFLUX : type de flux inconnu "
                f"(code « {(type_flux or '')[:1]} » ; attendu M mensuel ou I quotidien).",
                field=f"{flux}/TYPEFLUX",
            )
        )
    elif reference is not None:
        report.variant = (
            TYPES_FLUX[type_flux] if type_flux == "M" else f"quotidien {reference.isoformat()}"
        )
    if not header.fin_lue:
        report.findings.append(
            Finding(
                "fin_absente",
                f"{name} : bloc {layout().fin.element} absent (fin du flux) ; "
                "fichier incomplet, rien n'est chargé.",
                field=layout().fin.element,
            )
        )


def _future_flags(reference_date: str | None) -> str:
    """`<date>_futur` columns of the shared rule (sources/staging.py), against the flux's
    reference date (DTREF): the dates the layout marks `not_future`."""
    reference = (
        f"DATE '{date.fromisoformat(reference_date).isoformat()}'" if reference_date else "NULL"
    )
    return "".join(
        future_flag_sql(f.name, f"try_strptime({f.name}, '%Y-%m-%d')", reference, f.future_days)
        + ", "
        for block in (layout().foyer, layout().personne)
        for f in block.fields
        if f.not_future
    )


def _normalise_sql(reference_date: str | None) -> str:
    """The staged rows with codes normalised and the derived check columns."""
    return f"""
    WITH n AS (
        SELECT *,
               CASE WHEN length(d) = 3 AND starts_with(d, '0') THEN substr(d, 2) ELSE d END
                   AS departement_foyer,
               CASE WHEN length(r) = 15 THEN left(r, 13) ELSE r END AS nir_norme
        FROM (SELECT *, upper(trim(ideparte)) AS d, upper(replace(nir, ' ', '')) AS r
              FROM {INPUT})
    ),
    principal AS (  -- the flux's département: that of most of its households
        SELECT departement_foyer AS departement_flux FROM n
        WHERE departement_foyer IN {departement_sql_list()}
        GROUP BY ALL ORDER BY count(DISTINCT foyer_no) DESC, 1 LIMIT 1
    )
    SELECT foyer_no AS line_no, personne_no, organisme, numero_organisme, matricule,
           ideparte, departement_foyer, date_demande_rsa, etat_dossier, motif_cloture,
           date_cloture, code_commune, situation_familiale, nir_norme AS nir, date_naissance, sexe, role,
           identifiant_pe,
           CASE lower(soumis_droits_devoirs) WHEN 'true' THEN '1' WHEN 'false' THEN '0'
                ELSE soumis_droits_devoirs END AS soumis_droits_devoirs,
           schema_bloquant, schema_avertissement, {_future_flags(reference_date)}
           CASE WHEN personne_no = 0 THEN 'oui' END AS sans_personne,
           CASE WHEN personne_no > 0 AND nir_norme IS NULL THEN 'oui' END AS sans_nir,
           CASE WHEN matricule IS NULL THEN 'oui' END AS sans_matricule,
           CASE WHEN departement_foyer IS NULL
                  OR departement_foyer NOT IN {departement_sql_list()}
                THEN 'oui' END AS departement_invalide,
           CASE WHEN departement_foyer <> (SELECT departement_flux FROM principal)
                 AND departement_foyer IN {departement_sql_list()}
                THEN 'oui' END AS autre_departement,
           CASE WHEN nir_norme IS NOT NULL AND min(foyer_no) OVER (PARTITION BY nir_norme)
                 <> max(foyer_no) OVER (PARTITION BY nir_norme) THEN 'oui' END
               AS plusieurs_foyers,
           (SELECT departement_flux FROM principal) AS departement_flux
    FROM n"""


def _check_departement(
    con: duckdb.DuckDBPyConnection, report: Report, departement: str | None
) -> None:
    """The flux names its département in each household (IDEPARTE, `052` read as `52`)."""
    found = con.execute(f"SELECT any_value(departement_flux) FROM {FIELDS}").fetchone()[0]
    report.departement = found
    if departement and found and departement != found:
        report.findings.append(
            Finding(
                "departement_argument",
                f"{report.file_name}, élément InfosFoyerRSA/IdentificationRSA/Partenaire/"
                f"IDEPARTE : le flux est celui du département {found}, pas du "
                f"{departement} demandé.",
                field="IDEPARTE",
            )
        )
    if found is None and con.execute(f"SELECT count(*) FROM {FIELDS}").fetchone()[0]:
        report.findings.append(
            Finding(
                "departement_absent",
                f"{report.file_name}, élément InfosFoyerRSA/IdentificationRSA/Partenaire/"
                "IDEPARTE : aucun foyer ne porte un code département valide.",
                field="IDEPARTE",
            )
        )


def _check_footer(con: duckdb.DuckDBPyConnection, header: FluxHeader, report: Report) -> None:
    announced = header.nb_foyers_annonce
    households = con.execute(f"SELECT count(DISTINCT line_no) FROM {FIELDS}").fetchone()[0]
    if announced is not None and (not announced.isdigit() or int(announced) != households):
        shown = int(announced) if announced.isdigit() else "?"
        report.findings.append(
            Finding(
                "fin_compte",
                f"{report.file_name}, élément TransmissionFlux/NBTOTDOSRSATRANSM : le flux "
                f"annonce {shown} dossiers, il contient {households} foyers.",
                AVERTISSEMENT,
                field="TransmissionFlux/NBTOTDOSRSATRANSM",
            )
        )


def stage(
    con: duckdb.DuckDBPyConnection,
    facts: FileFacts,
    *,
    departement: str | None = None,
    threshold: float = 0.01,
    options: dict | None = None,  # none apply: the flux names its département and date
) -> Report:
    """Stream, validate and check a flux into temp tables of `con`; nothing is written."""
    report = Report.for_file(SOURCE, facts, threshold)
    report.record_word = "foyer"
    try:
        header, rows = read_flux(facts.path, facts.file_name)
        _check_header(header, report, facts.file_name)
    except FileRefused as refused:
        report.findings.append(Finding("structure", str(refused)))
        return report
    if report.reference_date is None:  # the blocking finding names DTREF; nothing to date by
        return report
    report.encoding = header.encoding or facts.encoding
    report.lines_read = len(rows)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {INPUT} AS SELECT * FROM rows")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {FIELDS} AS {_normalise_sql(report.reference_date)}")
    _check_departement(con, report, departement)
    _check_footer(con, header, report)
    apply_suite(
        con,
        FIELDS,
        REJECTED,
        load_suite(SOURCE),
        report,
        empty="aucun foyer (InfosFoyerRSA) dans le flux",
        records=f"SELECT count(DISTINCT line_no) FROM {FIELDS}",
    )
    return report


def insert(
    con: duckdb.DuckDBPyConnection, report: Report, load_id: int, catalog: str = "wh"
) -> int:
    """Insert the persons of the accepted households into `<catalog>.caf_beneficiaire`;
    returns the households loaded (the records the report counts, and the drift compares)."""
    type_flux = "M" if report.variant == TYPES_FLUX["M"] else "I"
    run_staging_sql(
        con,
        SOURCE,
        catalog,
        {
            "load_id": load_id,
            "departement": report.departement,
            "date_reference": report.reference_date,
            "type_flux": type_flux,
        },
    )
    return con.execute(
        f"SELECT count(DISTINCT foyer_no) FROM {catalog}.{TABLE} WHERE load_id = ?", [load_id]
    ).fetchone()[0]


def quarantine_sql() -> str:
    """(line_no, field, check_name, reason) of every rejected household."""
    return f"SELECT line_no, field, check_name, reason FROM {REJECTED}"


def looks_like_flux(root: str | None) -> bool:
    """`auto`: a vrsb0801 flux is the XML document whose root is `Racine`."""
    return root == layout().root
