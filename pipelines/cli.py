"""`python -m pipelines`: a thin command line over the library (messages in French).

Exit codes: 0 done (or nothing to do), 1 file refused or load failed, 2 usage or I/O error.
Errors print one line on stderr; `--debug` adds the traceback.

Each command is one unit below: its options (`*_options`), then its handler, registered
together with its help and an example (`COMMANDS.command`, pipelines/cli_registry.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType

from pipelines import oarsa_cli
from pipelines.cli_registry import (
    ENTRIES,
    Commands,
    Parser,
    add_command,
    departement,
    entry,
    month,
)
from pipelines.errors import PilotageError, UsageError
from pipelines.roles import ROLES
from pipelines.settings import Settings, private_umask

__all__ = ["ENTRIES", "build_parser", "departement", "main", "month"]


def _lazy(name: str) -> ModuleType:
    """The module, loaded on first use (the standard library's LazyLoader recipe).

    `--help` and usage errors answer at once, without importing DuckDB, Great Expectations
    or argon2: only the command that runs pays for what it uses.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


access = _lazy("pipelines.access")
indicators = _lazy("pipelines.indicators")
journal = _lazy("pipelines.journal")
loader = _lazy("pipelines.loader")
masking = _lazy("pipelines.masking")
warehouse = _lazy("pipelines.warehouse")
SOURCES_HELP = "pecgm, cgpem, lrsa, stock, parcours, ou auto (détectée d'après le contenu)"

REGISTERED = Commands()  # this module's commands, in the order the help lists them


def _progress(enabled: bool):
    """A progress line on stderr for interactive runs; silent in pipes and CI."""
    if not enabled:
        return loader._noop
    from tqdm import tqdm

    bar = tqdm(total=4, desc="chargement", unit="étape", file=sys.stderr, leave=False)

    def step(label: str) -> None:
        bar.set_description(label)
        bar.update(1)
        if label == "terminé":
            bar.close()

    return step


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(getattr(args, "db", None))


def _options(args: argparse.Namespace) -> dict:
    """Source options: the mapping file, the LRSA list and the month, when given."""
    from pipelines.readers.tabular import read_mapping

    return {
        "mapping": read_mapping(Path(args.mapping) if args.mapping else None),
        "liste": args.liste,
        "mois": args.month,
        "xml_map": _xml_map(args),
    }


def _xml_map(args: argparse.Namespace) -> dict[str, str] | None:
    """PECGM XML: `--mapping` is the département's tag map (element path -> field)."""
    if not args.mapping or args.source not in ("pecgm", "auto"):
        return None
    from pipelines.sources.pecgm_xml import read_override

    return read_override(Path(args.mapping))


def _paths(args: argparse.Namespace) -> Path | list[Path]:
    """One file, or the files of a multi-file unit (parcours)."""
    return Path(args.file[0]) if len(args.file) == 1 else [Path(f) for f in args.file]


def _data_docs(con, source: str, report, target: Path) -> None:
    """GX Data Docs of each staged table of the file, offline-safe (validation/data_docs.py)."""
    from pipelines.sources.parcours import PARTS
    from pipelines.validation import data_docs
    from pipelines.validation.suite import for_variant, load_suite

    if source == "parcours":
        parts = [(f"{p}_fields", load_suite(p)) for p in PARTS]
    elif source == "lrsa":
        parts = [("lrsa_fields", for_variant(load_suite("lrsa"), report.variant))]
    else:
        parts = [(f"{source}_fields", load_suite(source))]
    for view, suite in parts:
        frame = con.execute(f"SELECT * FROM {view}").df()
        index = data_docs.build(frame, suite, target / view.removesuffix("_fields"), view)
        print(f"Data Docs Great Expectations : {index}")


def _archive(settings: Settings, report, load_id: int | None = None) -> None:
    """Every validation leaves its report in the report folder; its GX Data Docs are
    rendered when asked for (`report N --data-docs`), never before the answer."""
    from pipelines.validation import archive

    folder = archive.keep(settings.db_path, report, load_id)
    asked = f" ; Data Docs : report {load_id} --data-docs DOSSIER" if load_id else ""
    print(f"Rapport qualité : {folder / 'rapport.html'}{asked}", file=sys.stderr)


def file_options(p: argparse.ArgumentParser) -> None:
    """The options `validate` and `load` share: a file of a source, and how to read it."""
    p.add_argument("source", help=SOURCES_HELP)
    p.add_argument(
        "file",
        nargs="+",
        help="chemin du fichier reçu (parcours : les trois fichiers personnes, "
        "rendez-vous et prestations, dans n'importe quel ordre)",
    )
    p.add_argument(
        "--departement",
        type=departement,
        help="code département (obligatoire pour les fichiers qui ne le portent pas)",
    )
    p.add_argument(
        "--mapping",
        help="fichier YAML « en-tête du fichier: champ » pour les en-têtes non reconnus "
        "(PECGM XML : « chemin/de/l-element: champ », la carte des balises du département)",
    )
    p.add_argument(
        "--liste",
        choices=("inscriptions", "inscrits", "cessations", "radiations"),
        help="liste LRSA DE (sinon déduite des colonnes ou du nom du fichier)",
    )
    p.add_argument(
        "--month",
        type=month,
        metavar="AAAA-MM",
        help="mois du fichier (LRSA DE, CGPEM), sinon déduit",
    )
    # The option's earlier French name, still accepted (scripts of départements use it).
    p.add_argument("--mois", dest="month", type=month, help=argparse.SUPPRESS)


def validate_options(p: argparse.ArgumentParser) -> None:
    file_options(p)
    p.add_argument("--html", help="écrire aussi le rapport qualité en HTML autonome")
    p.add_argument(
        "--data-docs",
        help="construire aussi les Data Docs Great Expectations (hors ligne) dans ce dossier",
    )


@REGISTERED.command(
    "validate",
    help="contrôler un fichier sans rien écrire",
    description="contrôler un fichier sans rien écrire",
    example="""python -m pipelines validate pecgm PECGM_2A_202610.txt
python -m pipelines validate lrsa inscrits_2A_202610.csv --departement 2A --html controle.html
(code 1 quand le fichier est refusé)""",
    options=validate_options,
)
def cmd_validate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    report, con, _, source = loader.validate(
        args.source, _paths(args), settings, args.departement, options=_options(args)
    )
    try:
        if args.data_docs and report.checks:
            _data_docs(con, source, report, Path(args.data_docs))
    finally:
        con.close()
    if args.html:
        from pipelines.validation import html

        Path(args.html).write_text(html.render(report.to_dict()), encoding="utf-8")
    _archive(settings, report)
    access.audit(
        settings.db_path,
        settings.operator,
        "controle",
        "ok" if report.loadable else "refuse",
        report.departement,
        fichier=report.file_name,
        source=source,
        origine="ligne de commande",
    )
    print(report.summary_text())
    return 0 if report.loadable else 1


def load_options(p: argparse.ArgumentParser) -> None:
    file_options(p)
    p.add_argument(
        "--lot",
        action="store_true",
        help="charger chaque fichier séparément mais en une seule écriture de "
        "l'entrepôt (tout ou rien ; par exemple un mois de tous les départements)",
    )


@REGISTERED.command(
    "load",
    help="contrôler puis charger un fichier",
    description="contrôler puis charger un fichier",
    example="""python -m pipelines load auto PECGM_2A_202610.txt
python -m pipelines load parcours personnes.csv rendez_vous.csv prestations.csv --departement 2A
python -m pipelines load pecgm PECGM_*_202610.txt --lot""",
    options=load_options,
)
def cmd_load(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.lot:
        outcomes = loader.load_batch(
            args.source,
            [Path(f) for f in args.file],
            settings,
            args.departement,
            options=_options(args),
        )
        for outcome in outcomes:
            print(outcome.message, file=sys.stderr if outcome.exit_code else sys.stdout)
            if outcome.report is not None:
                _archive(settings, outcome.report, outcome.load_id)
        access.audit(
            settings.db_path, settings.operator, "chargement", "lot",
            fichiers=len(outcomes), charges=sum(o.status == "loaded" for o in outcomes),
        )  # fmt: skip
        return max((o.exit_code for o in outcomes), default=0)
    outcome = loader.load(
        args.source,
        _paths(args),
        settings,
        args.departement,
        _progress(sys.stderr.isatty()),
        options=_options(args),
    )
    access.audit(
        settings.db_path,
        settings.operator,
        "chargement",
        outcome.status,
        outcome.report.departement if outcome.report else None,
        fichier=outcome.report.file_name if outcome.report else None,
        chargement=outcome.load_id,
        origine="ligne de commande",
    )
    if outcome.report is not None:
        print(outcome.report.summary_text())
        _archive(settings, outcome.report, outcome.load_id)
    print(outcome.message, file=sys.stderr if outcome.exit_code else sys.stdout)
    if outcome.error is not None and args.debug:
        traceback.print_exception(outcome.error)
    return outcome.exit_code


def journal_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=20, help="nombre de lignes (défaut 20)")


@REGISTERED.command(
    "journal",
    help="derniers chargements",
    example="python -m pipelines journal --limit 50",
    options=journal_options,
)
def cmd_journal(args: argparse.Namespace) -> int:
    settings = _settings(args)
    con = warehouse.open_reader(settings.db_path)
    rows = journal.recent(con, args.limit)
    headers = (
        "n°",
        "source",
        "fichier",
        "dép.",
        "mois",
        "encodage",
        "lus",
        "chargés",
        "rejetés",
        "statut",
        "début",
        "opérateur",
    )
    table = [
        (
            r[0],
            r[1],
            r[2],
            r[5] or "",
            r[6] or "",
            r[7] or "",
            r[8],
            r[9],
            r[10],
            r[11],
            r[12].strftime("%Y-%m-%d %H:%M:%S"),
            r[14] or "",
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *table, strict=False)]
    for line in (headers, *table):
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip())
    if not rows:
        print("Aucun chargement enregistré.")
    return 0


def _flat(result: dict, prefix: str = "", code: str = ""):
    """(indicator, code, value) rows of the nested JSON contract: nested maps extend the
    indicator name (structure_suivi.principale) and the innermost key is the code."""
    for key, value in result.items():
        if isinstance(value, dict):
            if any(isinstance(v, dict) for v in value.values()):
                yield from _flat(value, f"{prefix}{key}.", "")
            else:
                for c, v in value.items():
                    yield f"{prefix}{key}", c, v
        else:
            yield f"{prefix}{key}", code, value


def indicators_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--departement", type=departement, required=True)
    p.add_argument("--month", required=True, type=month, metavar="AAAA-MM", help="mois")
    p.add_argument(
        "--territoire", help="restreindre à un territoire du département (voir `territoires`)"
    )
    p.add_argument(
        "--masque",
        action="store_true",
        help="vue masquée du comité (seuil PILOTAGE_SEUIL_MASQUAGE), comme les pages et le PDF",
    )
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="objet JSON (défaut)")
    fmt.add_argument("--csv", action="store_true", help="table à plat (indicateur;code;valeur)")


@REGISTERED.command(
    "indicators",
    help="indicateurs d'un département et d'un mois",
    example="""python -m pipelines indicators --departement 2A --month 2026-10
python -m pipelines indicators --departement 2A --month 2026-10 --masque --csv""",
    options=indicators_options,
)
def cmd_indicators(args: argparse.Namespace) -> int:
    settings = _settings(args)
    con = warehouse.open_reader(settings.db_path)
    communes = None
    if args.territoire:
        known = indicators.communes_par_territoire(con, args.departement)
        if args.territoire not in known:
            raise UsageError(
                f"Territoire inconnu pour {args.departement} : « {args.territoire} » "
                f"(connus : {', '.join(known) or 'aucun'})."
            )
        communes = known[args.territoire]
    result = indicators.summary(con, args.departement, args.month, communes)
    if args.masque:  # the committee's view: the rule of every page, PDF and export
        limit = masking.committee_threshold()
        linked = _crossed_row(con, args.departement, args.territoire, result, limit)
        result = masking.masked_summary(result, limit, linked)
    if communes:  # the contract's keys, plus the territoire the figures are restricted to
        result = {"departement": args.departement, "territoire": args.territoire, **result}
    if args.csv:
        from pipelines import export

        rows = [(k, c, v) for k, c, v in _flat(result) if k not in ("departement", "month")]
        sys.stdout.write(export.csv_text(("indicateur", "code", "valeur"), rows))
    else:
        print(json.dumps(result, ensure_ascii=False, indent=None if not sys.stdout.isatty() else 2))
    return 0


def _crossed_row(
    con, departement: str, territoire: str | None, result: dict, limit: int
) -> dict[str, frozenset[str]] | None:
    """The scope's row (the territoire's, else the département's) of the decisions crossed
    with the territoires (`masking_grids.decisions`), as the pages and the PDF read them:
    the month's, and for each latest complete cohorte its own month's, whose population
    the decision may hide. None without a partition (nothing to cross)."""
    from pipelines import masking, masking_grids

    partition = indicators.communes_par_territoire(con, departement)
    if limit <= 1 or not partition:
        return None
    row = territoire or masking_grids.DEPARTEMENT

    rows: dict[str, dict[str, frozenset[str]]] = {}
    # every family's counts of every month of grid_months and every territoire, two queries in all
    grid = indicators.grille(con, departement, indicators.grid_months(con, departement), partition)

    readers: dict = {}  # one reader per scope: it keeps each family's span

    def row_of(month: str) -> dict[str, frozenset[str]]:
        def read(family: str, communes):  # a month outside the loaded files
            if communes not in readers:
                readers[communes] = indicators.direct(con, departement, communes)
            return readers[communes](family, month)

        if month not in rows:
            grouped = {f: g[month] for f, g in grid.items() if month in g}
            rows[month] = masking_grids.summary_hidden(
                masking_grids.decisions(read, partition, limit, grouped), row
            )
        return rows[month]

    linked = dict(row_of(result["month"]))
    for key, figure in (result.get("derniere_cohorte_complete") or {}).items():
        population = indicators.COMPLETE_FIGURES[key][2]
        if figure and population in row_of(figure["cohorte"]).get(population, ()):
            complete = masking.complete_key(key)
            linked[complete] = frozenset({complete})
    return linked


def _month_argument(value: str) -> str:
    """A month typed on the command line, AAAA-MM, or a clear usage error."""
    if not re.fullmatch(r"(19|20)\d\d-(0[1-9]|1[0-2])", value or ""):
        raise UsageError("Mois invalide : attendu AAAA-MM (par exemple 2026-10).")
    return value


def rapport_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--departement", type=departement, required=True)
    p.add_argument("--month", required=True, help="mois AAAA-MM")
    p.add_argument("--pdf", help="fichier PDF à écrire (défaut : rapport_comite_D_AAAA-MM.pdf)")


@REGISTERED.command(
    "rapport",
    help="rapport mensuel du comité de pilotage, en PDF (masqué)",
    example="python -m pipelines rapport --departement 2A --month 2026-10 --pdf comite_2A.pdf",
    options=rapport_options,
)
def cmd_rapport(args: argparse.Namespace) -> int:
    """The committee's monthly PDF report (masked as the committee's pages), audited as an
    export: a dashboard product, done by `dashboard.rapport_commande` (see ENTRIES)."""
    settings = _settings(args)
    month = _month_argument(args.month)
    print(entry("rapport")(settings, args.departement, month, args.pdf))
    return 0


def territoires_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("fichier", nargs="?", help="CSV code_commune;territoire à charger")
    p.add_argument("--departement", type=departement, required=True)


@REGISTERED.command(
    "territoires",
    help="territoires du département (communes regroupées)",
    example="""python -m pipelines territoires territoires_2A.csv --departement 2A
(fichier « code_commune;territoire » ; sans fichier : affiche les territoires chargés)""",
    options=territoires_options,
)
def cmd_territoires(args: argparse.Namespace) -> int:
    """Load a département's territoires (all or nothing), or list them."""
    from pipelines import territoires

    settings = _settings(args)
    departement = args.departement.upper()
    if args.fichier:
        n = territoires.load_file(settings.db_path, Path(args.fichier), departement)
        access.audit(
            settings.db_path, settings.operator, "territoires", "ok", departement, communes=n
        )
        print(f"Territoires de {departement} : {n} communes rattachées.")
    con = warehouse.open_reader(settings.db_path)
    for label, communes in indicators.communes_par_territoire(con, departement).items():
        print(f"{label} : {', '.join(communes)}")
    return 0


def api_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="fichier du département avec NIR et date de naissance")
    p.add_argument(
        "--departement", type=departement, help="code département (sinon PILOTAGE_DEPARTEMENT)"
    )
    p.add_argument("--mapping", help="fichier YAML « en-tête du fichier: champ »")
    p.add_argument(
        "--concurrence",
        type=int,
        help="appels simultanés au plus (défaut : PILOTAGE_FT_CONCURRENCE, sinon 32)",
    )


@REGISTERED.command(
    "api",
    help="collecter le statut, les contraintes et les orientations des personnes "
    "d'un fichier auprès des API France Travail",
    example="python -m pipelines api beneficiaires_2A.csv --departement 2A --concurrence 8",
    options=api_options,
)
def cmd_api(args: argparse.Namespace) -> int:
    """Collect the DE status and constraints of a file's persons from France Travail's APIs."""
    from pipelines.francetravail import collecte
    from pipelines.readers.tabular import read_mapping
    from pipelines.settings import FranceTravailSettings

    settings = _settings(args)
    ft = FranceTravailSettings.from_env()
    if args.concurrence:
        ft = dataclasses.replace(ft, concurrency=args.concurrence)
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(desc="collecte France Travail", unit="personne", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    try:
        outcome = collecte.collect(
            Path(args.file),
            settings,
            ft,
            args.departement,
            {"mapping": read_mapping(Path(args.mapping) if args.mapping else None)},
            progress,
        )
    except KeyboardInterrupt:
        print(
            "Collecte interrompue : les personnes déjà interrogées sont gardées (sans NIR) et "
            "ne le seront pas de nouveau si vous relancez la commande aujourd'hui.",
            file=sys.stderr,
        )
        return 130
    finally:
        if bar is not None:
            bar.close()
    report = outcome.report
    access.audit(
        settings.db_path,
        settings.operator,
        "collecte",
        outcome.status,
        report.departement if report else None,
        fichier=report.file_name if report else None,
        chargement=outcome.load_id,
        origine="ligne de commande",
    )
    if report is not None:
        print(report.summary_text())
        for line in collecte.summary_lines(report.collecte):
            print(line)
        _archive(settings, report, outcome.load_id)
    print(outcome.message, file=sys.stderr if outcome.exit_code else sys.stdout)
    return outcome.exit_code


@REGISTERED.command(
    "demo",
    help="reconstruire l'entrepôt de démonstration depuis sample_data/",
    example="python -m pipelines demo --db data/demo.duckdb",
)
def cmd_demo(args: argparse.Namespace) -> int:
    """Rebuild the demo warehouse from sample_data/ through the real loads (see ENTRIES)."""
    entry("demo")(_settings(args), echo=print)
    return 0


def report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("load_id", type=int, help="n° du chargement (voir journal)")
    p.add_argument("--html", help="fichier HTML autonome à écrire")
    p.add_argument("--quarantine", help="fichier CSV des lignes en quarantaine à écrire")
    p.add_argument(
        "--data-docs", help="dossier où écrire le rapport et ses Data Docs Great Expectations"
    )


@REGISTERED.command(
    "report",
    help="rapport qualité d'un chargement",
    example="""python -m pipelines report 12
python -m pipelines report 12 --html rapport_12.html --quarantine quarantaine_12.csv""",
    options=report_options,
)
def cmd_report(args: argparse.Namespace) -> int:
    """A load's stored quality report, as text, standalone HTML, and its quarantine CSV."""
    from pipelines.validation import html

    settings = _settings(args)
    con = warehouse.open_reader(settings.db_path)
    row = con.execute(
        "SELECT report_json FROM load_journal WHERE id = ?", [args.load_id]
    ).fetchone()
    if row is None or row[0] is None:
        raise UsageError(f"Aucun rapport pour le chargement n° {args.load_id}.")
    report = json.loads(row[0])
    if args.html:
        Path(args.html).write_text(html.render(report), encoding="utf-8")
        print(f"Rapport HTML écrit : {args.html}")
    if args.quarantine:
        lines = con.execute(
            "SELECT line_no, field, check_name, reason FROM quarantine WHERE load_id = ? "
            "ORDER BY line_no, field",
            [args.load_id],
        ).fetchall()
        from pipelines import export

        with open(args.quarantine, "w", encoding="utf-8-sig", newline="") as f:
            f.write(export.csv_text(("ligne", "champ", "controle", "motif"), lines))
        print(f"Lignes en quarantaine ({len(lines)}) : {args.quarantine}")
    if args.data_docs:
        from pipelines.validation import archive

        folder = archive.save(report, Path(args.data_docs))
        print(f"Rapport et Data Docs : {folder / 'data_docs' / 'index.html'}")
    if not args.html and not args.quarantine and not args.data_docs:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


def purge_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--before", help="effacer les données datées d'avant ce mois (AAAA-MM)")
    p.add_argument("--all", action="store_true", help="tout effacer (fin de convention)")
    p.add_argument("--confirm", action="store_true", help="confirme --all")


@REGISTERED.command(
    "purge",
    help="effacer les données anciennes, ou tout (fin de convention)",
    example="""python -m pipelines purge --before 2024-01
python -m pipelines purge --all --confirm""",
    options=purge_options,
)
def cmd_purge(args: argparse.Namespace) -> int:
    from pipelines import retention
    from pipelines.validation import archive

    settings = _settings(args)
    if args.all:
        if not args.confirm:
            raise UsageError(
                "purge --all efface toutes les données, la quarantaine, les rapports et les "
                "fichiers déposés : ajoutez --confirm."
            )
        counts = retention.purge_all(
            settings.db_path,
            settings.operator,
            (
                retention.uploads_dir(settings.db_path),
                retention.arrivals_dir(settings.db_path),
                archive.reports_dir(settings.db_path),
                retention.collectes_dir(settings.db_path),
            ),
        )
        scope = "tout"
    else:
        if not args.before:
            raise UsageError("Précisez --before AAAA-MM, ou --all --confirm.")
        counts = retention.purge_before(settings.db_path, args.before, settings.operator)
        scope = f"avant {args.before}"
    access.audit(settings.db_path, settings.operator, "purge", "ok", portee=scope, lignes=counts)
    print(f"Purge ({scope}) : " + ", ".join(f"{t} {n}" for t, n in counts.items()) + ".")
    return 0


def _read_password() -> str:
    """From a prompt on a terminal, else the first line of stdin; never an argument."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Mot de passe : ")
        if getpass.getpass("Confirmation : ") != first:
            raise UsageError("Les deux saisies du mot de passe diffèrent.")
        return first
    return sys.stdin.readline().rstrip("\n")


def users_options(p: argparse.ArgumentParser) -> None:
    """`users add | disable | unlock | list`, each with its example."""
    actions = p.add_subparsers(dest="action", required=True, parser_class=Parser)
    add = add_command(
        actions,
        "add",
        help="créer ou modifier un compte (mot de passe lu au clavier, ou sur l'entrée "
        "standard hors terminal ; jamais en argument)",
        example="python -m pipelines users add c.martin --role analyste --departement 2A",
    )
    add.add_argument("login")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument(
        "--departement",
        type=departement,
        action="append",
        help="département accessible (option répétable)",
    )
    disable = add_command(
        actions,
        "disable",
        help="désactiver un compte",
        example="python -m pipelines users disable c.martin",
    )
    disable.add_argument("login")
    unlock = add_command(
        actions,
        "unlock",
        help="déverrouiller un compte verrouillé après des échecs de connexion répétés (la "
        "page de connexion ne le dit pas, pour ne pas révéler quels comptes existent)",
        example="python -m pipelines users unlock c.martin",
    )
    unlock.add_argument("login")
    add_command(
        actions, "list", help="lister les comptes", example="python -m pipelines users list"
    )


@REGISTERED.command(
    "users",
    help="comptes des utilisateurs du tableau de bord",
    example="""python -m pipelines users add c.martin --role comite --departement 2A
python -m pipelines users list""",
    options=users_options,
)
def cmd_users(args: argparse.Namespace) -> int:
    from pipelines import access

    settings = _settings(args)
    if args.action == "add":
        login = access.check_login(args.login)  # refused before the password is asked for
        departements = access.check_departements(args.departement or [])
        login = access.add_user(
            settings.db_path, login, _read_password(), args.role, departements, settings.operator
        )
        print(f"Compte « {login} » enregistré ({args.role}).")
    elif args.action == "disable":
        access.disable_user(settings.db_path, args.login, by=settings.operator)
        print(f"Compte « {args.login} » désactivé.")
    elif args.action == "unlock":
        access.unlock_user(settings.db_path, args.login, by=settings.operator)
        print(f"Compte « {args.login} » déverrouillé.")
    else:
        rows = access.list_users(settings.db_path)
        for login, role, deps, actif, _echecs, bloque, modifie in rows:
            state = "actif" if actif else "désactivé"
            lock = f", verrouillé jusqu'à {bloque}" if bloque else ""
            print(f"{login}\t{role}\t{','.join(json.loads(deps))}\t{state}{lock}\t{modifie}")
        if not rows:
            print("Aucun compte.")
    return 0


# --- Running in a département: scheduled intake, health, backup and restore ---------------


def arrivees_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--once", action="store_true", help="un seul passage (minuterie systemd)")
    p.add_argument("--dossier", help="dossier d'arrivée (défaut : $PILOTAGE_ARRIVEES)")
    p.add_argument(
        "--departement",
        type=departement,
        help="département des fichiers qui ne le portent pas (tous sauf PECGM)",
    )
    p.add_argument(
        "--attente",
        type=float,
        default=10.0,
        help="secondes entre les deux relevés de taille d'un fichier (défaut 10)",
    )
    p.add_argument(
        "--intervalle", type=float, default=300.0, help="secondes entre deux passages (défaut 300)"
    )


@REGISTERED.command(
    "arrivees",
    help="charger les fichiers complets du dossier d'arrivée, puis prévenir par courriel",
    example="""python -m pipelines arrivees --once --dossier /srv/pilotage/arrivees
(sans --once : un passage toutes les --intervalle secondes, jusqu'à Ctrl-C)""",
    options=arrivees_options,
)
def cmd_arrivees(args: argparse.Namespace) -> int:
    """Load what has arrived (one pass with --once, else a pass every --intervalle seconds),
    then mail the data stewards."""
    import signal
    import time

    from pipelines import arrivees, notifications

    settings = _settings(args)
    folder = Path(args.dossier) if args.dossier else None

    def one_pass() -> int:
        run = arrivees.run_once(settings, folder, args.attente, args.departement)
        for line in arrivees.summary_lines(run):
            print(line, file=sys.stderr if line.startswith(("[refusé]", "[échec]")) else sys.stdout)
        if run.nothing_done and not run.waiting:
            print(f"Rien à charger dans {run.folder}.")
        try:
            for line in notifications.notify(settings, run):
                print(line)
        except OSError as error:  # smtplib and ssl errors are OSErrors
            print(
                f"erreur : notification impossible ({type(error).__name__}) ; les fichiers "
                "ont été traités comme indiqué ci-dessus.",
                file=sys.stderr,
            )
            return 2
        return run.exit_code

    if args.once:
        return one_pass()
    interrupted = []  # Ctrl-C, even when DuckDB turns it into an error of its own

    def on_interrupt(signum, frame):
        interrupted.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        while not interrupted:
            try:
                one_pass()
            except PilotageError as error:  # a watch keeps going; the error is printed
                print(f"erreur : {arrivees.printable(str(error))}", file=sys.stderr)
            except Exception as error:  # nor does anything else end the service
                if not interrupted:
                    print(f"erreur interne ({type(error).__name__}), passage suivant dans "
                          f"{args.intervalle:g} s.", file=sys.stderr)  # fmt: skip
            if not interrupted:
                time.sleep(args.intervalle)
    except KeyboardInterrupt:
        pass
    return 0


def etat_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="liste JSON")
    p.add_argument("--date", help="date du jour AAAA-MM-JJ (défaut : aujourd'hui)")


@REGISTERED.command(
    "etat",
    help="état des chargements (supervision ; code 1 si retard)",
    example="""python -m pipelines etat
python -m pipelines etat --json --date 2026-11-15""",
    options=etat_options,
)
def cmd_etat(args: argparse.Namespace) -> int:
    """Last load per source and département, data month, lateness: exit 1 when late."""
    from datetime import date

    from pipelines import etat

    today = date.fromisoformat(args.date) if args.date else date.today()
    found = etat.states(_settings(args), today)
    if args.json:
        print(json.dumps(etat.as_dicts(found), ensure_ascii=False))
    else:
        for s in found:
            attempt = f"n° {s.last_id} du {s.last_at} ({s.last_status})" if s.last_id else "aucun"
            print(
                f"{s.departement}\t{s.source}\tdernier chargement : {attempt}\t"
                f"données jusqu'à : {s.data_month or '—'}\t{s.label}"
            )
        if not found:
            print("Aucun chargement enregistré.")
    return 1 if any(s.late for s in found) else 0


def sauvegarde_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("dossier", help="dossier à créer (absent ou vide)")


@REGISTERED.command(
    "sauvegarde",
    help="sauvegarde cohérente sans arrêter les lecteurs",
    example="python -m pipelines sauvegarde /srv/sauvegardes/pilotage_2026-10-31",
    options=sauvegarde_options,
)
def cmd_sauvegarde(args: argparse.Namespace) -> int:
    from pipelines import sauvegarde

    settings = _settings(args)
    manifest = sauvegarde.backup(settings, Path(args.dossier))
    access.audit(
        settings.db_path, settings.operator, "sauvegarde", "ok",
        dossier=args.dossier, fichiers=len(manifest["fichiers"]),
    )  # fmt: skip
    print(
        f"Sauvegarde écrite : {args.dossier} ({len(manifest['fichiers'])} fichiers, schéma "
        f"{manifest['version_schema']}). La clé de pseudonymisation n'y est pas : gardez-la "
        "à part."
    )
    return 0


def restauration_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("dossier", help="dossier d'une sauvegarde (avec son manifeste.json)")
    p.add_argument("--remplacer", action="store_true", help="remplacer l'entrepôt existant")


@REGISTERED.command(
    "restauration",
    help="restaurer une sauvegarde vérifiée",
    example="python -m pipelines restauration /srv/sauvegardes/pilotage_2026-10-31 --remplacer",
    options=restauration_options,
)
def cmd_restauration(args: argparse.Namespace) -> int:
    from pipelines import sauvegarde

    settings = _settings(args)
    manifest = sauvegarde.restore(settings, Path(args.dossier), replace=args.remplacer)
    print(
        f"Restauré depuis {args.dossier} (sauvegarde du {manifest['cree_le']}, schéma "
        f"{manifest['version_schema']}) dans {settings.db_path}. La clé de pseudonymisation "
        f"n'a pas été touchée : remettez en place celle dont l'empreinte est "
        f"{manifest.get('empreinte_cle') or 'inconnue'} (PILOTAGE_KEY_FILE)."
    )
    return 0


@REGISTERED.command(
    "migrer",
    help="mettre le schéma de l'entrepôt à jour après une nouvelle version du code",
    description="Applique les migrations en attente sur une copie de l'entrepôt, "
    "substituée d'un coup : les lecteurs ne voient jamais un schéma à moitié migré.",
    example="python -m pipelines migrer --db data/pilotage.duckdb",
)
def cmd_migrer(args: argparse.Namespace) -> int:
    from pipelines import generation

    settings = _settings(args)
    before, after = generation.upgrade(settings.db_path)
    if after == 0:
        print(
            f"Aucun entrepôt à {settings.db_path} : rien à migrer (le premier chargement le crée)."
        )
    elif before == after:
        print(f"Schéma de l'entrepôt à jour (version {after}).")
    else:
        print(f"Schéma de l'entrepôt mis à jour : version {before} -> {after}.")
    return 0


@REGISTERED.command(
    "precalcul",
    help="ranger de nouveau ce que les pages ouvrent, quand il manque ou vient d'une autre version",
    description="Chaque chargement range dans l'entrepôt les résultats que les pages "
    "ouvrent (premières vues rapides). Après une nouvelle version du code, une migration "
    "ou la restauration d'une sauvegarde, ceux qui sont rangés ne sont plus lus : cette "
    "commande les calcule et les range de nouveau, dans une nouvelle génération, et ne "
    "fait rien quand ils sont à jour. Le service d'arrivée la lance après chaque passage.",
    example="python -m pipelines precalcul --db data/pilotage.duckdb",
)
def cmd_precalcul(args: argparse.Namespace) -> int:
    from pipelines import generation

    settings = _settings(args)
    if generation.store_if_outdated(settings.db_path):
        print("Résultats des pages rangés de nouveau.")
    else:
        print("Résultats des pages à jour : rien à faire.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: this module's commands, then the DREES return's."""
    parser = Parser(
        prog="python -m pipelines",
        description="Pilotage RSA : chargement et contrôle des fichiers.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="afficher la trace complète des erreurs"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in (*REGISTERED.values(), *oarsa_cli.REGISTERED.values()):
        command.register(sub)
    return parser


# name -> handler, what `main` runs (a test may swap one).
COMMANDS = {c.name: c.run for c in (*REGISTERED.values(), *oarsa_cli.REGISTERED.values())}


def main(argv: list[str] | None = None) -> int:
    private_umask()  # warehouse, access file, reports, exports: 0600 / 0700
    args = build_parser().parse_args(argv)
    debug = args.debug or os.environ.get("PILOTAGE_DEBUG") == "1"
    try:
        return COMMANDS[args.command](args)
    except PilotageError as error:
        if debug:
            traceback.print_exc()
        print(f"erreur : {error}", file=sys.stderr)
        return error.exit_code
    except OSError as error:
        if debug:
            traceback.print_exc()
        where = Path(error.filename).name if error.filename else "fichier"
        print(f"erreur : {loader.unreadable_message(error, Path(where))}", file=sys.stderr)
        return UsageError.exit_code
    except UnicodeError as error:
        if debug:
            traceback.print_exc()
        print(f"erreur : texte illisible ({type(error).__name__}).", file=sys.stderr)
        return UsageError.exit_code
    except Exception as error:  # never a bare traceback for users
        if debug:
            traceback.print_exc()
        print(
            f"erreur interne ({type(error).__name__}) : relancez avec --debug pour le détail.",
            file=sys.stderr,
        )
        return 2
