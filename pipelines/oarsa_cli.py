"""The two commands of the annual DREES return, their options beside their handlers:
`organismes` (the département's classification of its organismes) and `oarsa` (the
return, as JSON, xlsx or PDF). Listed by pipelines/cli.py after its own (`REGISTERED`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipelines.cli_registry import Commands, departement, entry

REGISTERED = Commands()


def _settings(args):
    from pipelines.settings import Settings

    return Settings.from_env(args.db)


def organismes_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("fichier", nargs="?", help="CSV ou .xlsx organisme;categorie à charger")
    p.add_argument("--departement", type=departement, required=True)


@REGISTERED.command(
    "organismes",
    help="classement des organismes référents dans les catégories de la DREES (OARSA)",
    description="Charge le classement organisme;categorie du département (tout ou rien), "
    "ou l'affiche.",
    example="""python -m pipelines organismes organismes_2A.csv --departement 2A
(fichier « organisme;categorie », UTF-8 ou Windows-1252, « ; » ou « , » ; remplace tout le
classement du département ; sans fichier : affiche le classement chargé)""",
    options=organismes_options,
)
def cmd_organismes(args: argparse.Namespace) -> int:
    """Load a département's classification (all or nothing), then list it."""
    from pipelines import access, organismes, warehouse

    settings = _settings(args)
    departement = args.departement.upper()
    if args.fichier:
        n = organismes.load_file(settings.db_path, Path(args.fichier), departement)
        access.audit(
            settings.db_path, settings.operator, "organismes", "ok", departement, organismes=n
        )
        print(f"Organismes de {departement} : {n} organismes classés.")
    con = warehouse.open_reader(settings.db_path)
    for organisme, categorie in organismes.classification(con, departement):
        print(f"{categorie} : {organisme}")
    return 0


def oarsa_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--departement", type=departement, required=True)
    p.add_argument("--annee", required=True, type=int, metavar="AAAA", help="année du bilan")
    p.add_argument(
        "--regle",
        choices=("drees", "avec_suspendus"),
        help="population : drees (droit ouvert non suspendu) ou avec_suspendus (comme webrsa) ; "
        "défaut : PILOTAGE_OARSA_REGLE, sinon drees",
    )
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="objet JSON (défaut)")
    fmt.add_argument("--xlsx", metavar="FICHIER", help="classeur des six tableaux à écrire")
    fmt.add_argument("--pdf", metavar="FICHIER", help="PDF des six tableaux à écrire")


@REGISTERED.command(
    "oarsa",
    help="bilan annuel de la DREES (enquête OARSA, tableaux 1 à 6), chiffres exacts",
    description="Calcule les six tableaux de l'enquête OARSA d'une année au 31/12.",
    example="""python -m pipelines oarsa --departement 2A --annee 2025 --json
python -m pipelines oarsa --departement 2A --annee 2025 --xlsx oarsa_2A_2025.xlsx
python -m pipelines oarsa --departement 2A --annee 2025 --pdf oarsa_2A_2025.pdf
(code 1 quand aucun flux CAF/MSA de décembre de l'année n'est chargé)""",
    options=oarsa_options,
)
def cmd_oarsa(args: argparse.Namespace) -> int:
    """The return of a year; exit 1 when it cannot be computed (no December flux)."""
    from pipelines import access, oarsa, oarsa_export, warehouse

    settings = _settings(args)
    departement = args.departement.upper()
    con = warehouse.open_reader(settings.db_path)
    result = oarsa.compute(con, departement, args.annee, args.regle)
    for text in result["manques"]:
        print(f"attention : {text}", file=sys.stderr)
    if args.xlsx or args.pdf:
        target = Path(args.xlsx or args.pdf)
        if not result["disponible"]:
            print(f"erreur : {result['manques'][0]} Aucun fichier écrit.", file=sys.stderr)
            return 1
        if args.xlsx:
            target.write_bytes(oarsa_export.xlsx_bytes(result))
        else:
            target.write_bytes(entry("oarsa --pdf")(result))  # a dashboard product (ENTRIES)
        access.audit(
            settings.db_path, settings.operator, "export", "ok", departement, fichier=target.name
        )
        print(f"Bilan OARSA {departement} {args.annee} : {target}.")
        return 0
    print(json.dumps(result, ensure_ascii=False, indent=None if not sys.stdout.isatty() else 2))
    return 0 if result["disponible"] else 1
