"""CGPEM, LRSA DE and reprise de stock: the spellings, encodings and formats départements
really send all load to the same rows; each bad case is refused with a clear message and
an unchanged warehouse."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from pipelines.cli import main
from pipelines.readers.tabular import normalise_header
from tests.conftest import GOLDEN, table_rows

GOLDEN_CGPEM = GOLDEN / "cgpem"

# Synthetic people: reserved NIR pattern (département 99, country 999xx), fictitious names.
NIR_A = "1" + "8501" + "99" + "901" + "001"
NIR_B = "2" + "9003" + "99" + "902" + "001"
CGPEM_ROWS = [
    # nir, nom, prénom, naissance, identifiant PE, nature, date décision, organisme
    [NIR_A, "FICTIF", "ALEX", "01/05/1985", "9000001A", "01", "03/02/2026", "CCAS ŒUVRE SOCIALE"],
    [NIR_B, "EXEMPLE", "CAMILLE", "1990-03-01", "9000002B", "5", "20260210", "FRANCE TRAVAIL"],
    ["", "ESSAI", "CLAUDE", "12/12/1980", "9000003C", "06", "2026-02-27", ""],
]
EXPECTED = [  # (nature, type_parcours, date, organisme, birth year, sex)
    ("01", "social", "2026-02-03", "CCAS ŒUVRE SOCIALE", 1985, "M"),
    ("05", "professionnel", "2026-02-10", "FRANCE TRAVAIL", 1990, "F"),
    ("06", "socio_professionnel", "2026-02-27", None, 1980, None),
]
SEED_HEADER = [
    "NIR",
    "NOM DE NAISSANCE",
    "PRENOM",
    "DATE de NAISSANCE",
    "IDENTIFIANT Pôle emploi du bénéficiaire RSA",
    "NATURE DE L'ACCOMPAGNEMENT",
    "DATE DE LA DECISION D'ORIENTATION",
    "ORGANISME REFERENT POUR L'ACCOMPAGNEMENT",
]
OTHER_SPELLING = [
    "nir",
    "Nom",
    "Prénom",
    "date_naissance",
    "Identifiant France Travail",
    "Nature accompagnement",
    "Date orientation",
    "Organisme référent",
]


def _delimited(rows, header, sep=";", encoding="utf-8", bom=False, order=None) -> bytes:
    order = order or list(range(len(header)))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow([header[i] for i in order])
    writer.writerows([[r[i] for i in order] for r in rows])
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def _xlsx(path: Path, rows, header) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        # Excel stores codes and dates as numbers and dates when the user typed them so.
        sheet.append([*r[:5], int(r[5]), r[6], r[7] or None])
    book.save(path)


VARIANTS = {
    "seed_header_utf8.csv": lambda p: p.write_bytes(_delimited(CGPEM_ROWS, SEED_HEADER)),
    "windows1252_comma.csv": lambda p: p.write_bytes(
        _delimited(CGPEM_ROWS, SEED_HEADER, sep=",", encoding="cp1252")
    ),
    "bom_tab_other_order.csv": lambda p: p.write_bytes(
        _delimited(CGPEM_ROWS, OTHER_SPELLING, sep="\t", bom=True, order=[6, 5, 0, 7, 1, 3, 2, 4])
    ),
    "export.xlsx": lambda p: _xlsx(p, CGPEM_ROWS, OTHER_SPELLING),
}


@pytest.mark.parametrize("name", VARIANTS)
def test_every_real_world_shape_loads_the_same_rows(tmp_path, settings, name) -> None:
    """Golden files in tests/golden/cgpem/ (build.py rebuilds them from VARIANTS)."""
    path = GOLDEN_CGPEM / name
    if path.suffix == ".csv":  # the committed file is what VARIANTS writes
        VARIANTS[name](tmp_path / name)
        assert (tmp_path / name).read_bytes() == path.read_bytes()
    assert main(["load", "cgpem", str(path), "--departement", "2A"]) == 0
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        rows = con.execute(
            "SELECT nature_accompagnement, type_parcours, strftime(date_orientation, '%Y-%m-%d'), "
            "organisme_referent, annee_naissance, sexe FROM orientation ORDER BY line_no"
        ).fetchall()
        encoding, month = con.execute("SELECT encoding, month FROM load_journal").fetchone()
    assert rows == EXPECTED
    assert month == "2026-02"
    expected_encoding = {
        "seed_header_utf8.csv": "UTF-8, séparateur point-virgule",
        "windows1252_comma.csv": "Windows-1252, séparateur virgule",
        "bom_tab_other_order.csv": "UTF-8 (BOM), séparateur tabulation",
        "export.xlsx": "Excel (.xlsx)",
    }[name]
    assert encoding == expected_encoding


def test_auto_detects_the_source_from_the_headers(tmp_path, settings) -> None:
    path = tmp_path / "decisions.csv"
    VARIANTS["bom_tab_other_order.csv"](path)
    assert main(["load", "auto", str(path), "--departement", "2A"]) == 0
    assert len(table_rows(settings, "orientation")) == 3


@pytest.mark.parametrize(
    "header", ["Date d'entrée RSA", "DATE_ENTREE_RSA", "date entree rsa", " Date-d'Entrée  RSA "]
)
def test_header_spellings_are_the_same_column(header) -> None:
    assert normalise_header(header) == "dateentreersa"


STOCK_HEADER = [
    "Nom",
    "Prénom",
    "Date de naissance",
    "NIR ou NIA",
    "Date d'entrée RSA",
    "Numéro allocataire",
    "Type de parcours",
    "Date d'orientation",
]


def _stock_rows(spellings: list[str]) -> list[list[str]]:
    return [
        [
            "FICTIF",
            "ALEX",
            "01/05/1985",
            f"1850199901{i:03d}",
            "01/01/2026",
            f"99{i:07d}",
            s,
            "20/01/2026",
        ]
        for i, s in enumerate(spellings)
    ]


def test_parcours_spellings_are_normalised(tmp_path, settings) -> None:
    spellings = [
        "Socio-professionnel",
        "SOCIO PRO",
        "socioprofessionnel",
        "Pro",
        "PSO",
        "PED",
        "Social",
    ]
    path = tmp_path / "reprise.csv"
    path.write_bytes(_delimited(_stock_rows(spellings), STOCK_HEADER))
    assert main(["load", "stock", str(path), "--departement", "2A"]) == 0
    got = [
        r[0]
        for r in duckdb.connect(str(settings.db_path), read_only=True)
        .execute("SELECT type_parcours FROM orientation ORDER BY line_no")
        .fetchall()
    ]
    assert got == [
        "socio_professionnel",
        "socio_professionnel",
        "socio_professionnel",
        "professionnel",
        "social",
        "professionnel",
        "social",
    ]


def test_unknown_parcours_type_names_the_column_never_the_person(
    tmp_path, settings, capsys
) -> None:
    rows = _stock_rows(["Social"] * 3 + ["Intensif renforcé"])
    path = tmp_path / "reprise.csv"
    path.write_bytes(_delimited(rows, STOCK_HEADER))
    assert main(["load", "stock", str(path), "--departement", "2A"]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert "reprise.csv, ligne 5, champ TYPE DE PARCOURS" in text
    assert "FICTIF" not in text and "1850199901" not in text and "Intensif" not in text
    assert table_rows(settings, "orientation") == []


def test_orientation_before_entry_is_a_warning_and_loads(tmp_path, settings) -> None:
    rows = _stock_rows(["Social"] * 2)
    rows[1][7] = "15/12/2025"  # before the RSA entry of 01/01/2026
    path = tmp_path / "reprise.csv"
    path.write_bytes(_delimited(rows, STOCK_HEADER))
    assert main(["load", "stock", str(path), "--departement", "2A"]) == 0
    assert len(table_rows(settings, "orientation")) == 2


def test_mapping_file_maps_a_departements_own_headers(tmp_path, settings, capsys) -> None:
    header = [*SEED_HEADER]
    header[5] = "NAT_ACC"
    path = tmp_path / "cgpem.csv"
    path.write_bytes(_delimited(CGPEM_ROWS, header))
    assert main(["validate", "cgpem", str(path), "--departement", "2A"]) == 1
    assert "colonne obligatoire absente : NATURE DE L'ACCOMPAGNEMENT" in capsys.readouterr().out
    mapping = tmp_path / "correspondance.yaml"
    mapping.write_text("NAT_ACC: nature_accompagnement\n", encoding="utf-8")
    assert main(["load", "cgpem", str(path), "--departement", "2A", "--mapping", str(mapping)]) == 0
    assert len(table_rows(settings, "orientation")) == 3


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (_delimited(CGPEM_ROWS, SEED_HEADER), [], "indiquez le département auquel il se rapporte"),
        (b"", ["--departement", "2A"], "fichier vide"),
        (
            _delimited(CGPEM_ROWS, SEED_HEADER[:5]),
            ["--departement", "2A"],
            "colonne obligatoire absente",
        ),
        (
            _delimited([*CGPEM_ROWS, CGPEM_ROWS[0]], SEED_HEADER),
            ["--departement", "2A"],
            "personne déjà présente plus haut",
        ),
        (
            _delimited([[*r[:6], "31/02/2026", r[7]] for r in CGPEM_ROWS], SEED_HEADER),
            ["--departement", "2A"],
            "date de décision invalide",
        ),
        (
            _delimited([[*r[:6], "01/01/2099", r[7]] for r in CGPEM_ROWS], SEED_HEADER),
            ["--departement", "2A"],
            "datée dans le futur",
        ),
    ],
)
def test_bad_cgpem_files_are_refused_and_change_nothing(
    tmp_path, settings, capsys, content, args, message
) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(_delimited(CGPEM_ROWS[:1], SEED_HEADER))
    assert main(["load", "cgpem", str(good), "--departement", "2A", "--mois", "2026-01"]) == 0
    before = table_rows(settings, "orientation")
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert main(["load", "cgpem", str(path), *args]) == 1
    out = capsys.readouterr()
    assert message in out.out + out.err
    assert "bad.csv" in out.out + out.err
    assert table_rows(settings, "orientation") == before


LRSA_HEADER = ["NIR", "Identifiant PE", "Nom usuel et prénom", "Adresse", "Date de naissance"]


def _lrsa(extra_header: list[str], extra: list[list[str]]) -> bytes:
    rows = [
        [NIR_A, "9000001A", "FICTIF ALEX", "1 RUE FICTIVE", "01/05/1985", *extra[0]],
        [NIR_B, "9000002B", "EXEMPLE CAMILLE", "1 RUE FICTIVE", "01/03/1990", *extra[1]],
    ]
    return _delimited(rows, [*LRSA_HEADER, *extra_header])


def test_lrsa_lists_are_detected_and_replace_their_own_month(tmp_path, settings) -> None:
    files = {
        "LRSA_2A_202610_inscriptions.csv": _lrsa(
            ["Date de l'inscription", "Catégorie d'inscription"],
            [["03/09/2026", "1"], ["15/09/2026", "5"]],
        ),
        "LRSA_2A_202610_inscrits.csv": _lrsa(
            ["Date de l'inscription", "Catégorie d'inscription"],
            [["03/09/2025", "1"], ["15/09/2026", "2"]],
        ),
        "export_cessations_octobre.csv": _lrsa(
            ["Date de cessation d'inscription", "Code motif de cessation"],
            [["02/08/2026", "90"], ["20/08/2026", "11"]],
        ),
        "LRSA_2A_2026-10.csv": _lrsa(
            ["Date de radiation", "Code motif de radiation", "Durée de radiation"],
            [["12/09/2026", "14", "1 mois"], ["13/09/2026", "17", "4 mois"]],
        ),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        assert main(["load", "lrsa", str(tmp_path / name), "--departement", "2A"]) == 0, name
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        got = con.execute(
            "SELECT liste, strftime(mois, '%Y-%m'), count(*) FROM lrsa_de GROUP BY ALL ORDER BY 1"
        ).fetchall()
        variants = con.execute("SELECT variant FROM load_journal ORDER BY id").fetchall()
    assert got == [
        ("cessations", "2026-10", 2),
        ("inscriptions", "2026-10", 2),
        ("inscrits", "2026-10", 2),
        ("radiations", "2026-10", 2),
    ]
    assert [v for (v,) in variants] == ["inscriptions", "inscrits", "cessations", "radiations"]
    # A corrected inscriptions list replaces that list only.
    (tmp_path / "LRSA_2A_202610_inscriptions_v2.csv").write_bytes(
        _lrsa(
            ["Date de l'inscription", "Catégorie d'inscription"],
            [["03/09/2026", "1"], ["16/09/2026", "5"]],
        )
    )
    assert (
        main(
            [
                "load",
                "lrsa",
                str(tmp_path / "LRSA_2A_202610_inscriptions_v2.csv"),
                "--departement",
                "2A",
            ]
        )
        == 0
    )
    assert len(table_rows(settings, "lrsa_de")) == 8


def test_lrsa_list_that_cannot_be_told_apart_asks_for_liste(tmp_path, capsys) -> None:
    path = tmp_path / "liste.csv"
    path.write_bytes(
        _lrsa(
            ["Date de l'inscription", "Catégorie d'inscription"],
            [["03/09/2026", "1"], ["15/09/2026", "5"]],
        )
    )
    assert main(["load", "lrsa", str(path), "--departement", "2A"]) == 2
    assert "--liste" in capsys.readouterr().err
    assert (
        main(
            [
                "load",
                "lrsa",
                str(path),
                "--departement",
                "2A",
                "--liste",
                "inscrits",
                "--mois",
                "2026-10",
            ]
        )
        == 0
    )


def test_link_rate_is_reported(tmp_path, settings) -> None:
    from tests.conftest import pecgm_lines, write_pecgm

    lines = pecgm_lines(persons=40, month="2026-01")
    assert main(["load", "pecgm", str(write_pecgm(tmp_path / "PECGM_2A_202601.txt", lines))]) == 0
    path = tmp_path / "cgpem.csv"
    path.write_bytes(_delimited(CGPEM_ROWS, SEED_HEADER))  # none of these people is in PECGM
    assert main(["load", "cgpem", str(path), "--departement", "2A"]) == 0
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        rate = con.execute(
            "SELECT json_extract(report_json, '$.liaison') FROM load_journal WHERE source = 'cgpem'"
        ).fetchone()[0]
    assert '"liees":0' in rate.replace(" ", "") and '"taux":0.0' in rate.replace(" ", "")


def test_no_personal_value_of_a_tabular_file_reaches_the_warehouse(tmp_path, settings) -> None:
    header = [
        *SEED_HEADER,
        "NOM DU CORRESPONDANT",
        "NO TEL DU CORRESPONDANT",
        "EMAIL DU CORRESPONDANT",
    ]
    rows = [
        [*r, "AGENTNOMUNIQUE", "0611223344", "agent.unique@exemple.invalid"] for r in CGPEM_ROWS
    ]
    path = tmp_path / "cgpem.csv"
    path.write_bytes(_delimited(rows, header))
    assert main(["load", "cgpem", str(path), "--departement", "2A"]) == 0
    raw = settings.db_path.read_bytes()
    for value in (
        NIR_A,
        NIR_B,
        "FICTIF",
        "CAMILLE",
        "9000001A",
        "AGENTNOMUNIQUE",
        "0611223344",
        "agent.unique",
        "01/05/1985",
        "19850501",
    ):
        assert value.encode() not in raw and value.encode("utf-16-le") not in raw, value


@pytest.mark.parametrize(
    "name",
    [
        "cgpem.csv",
        "stock.csv",
        "lrsa_inscriptions.csv",
        "lrsa_inscrits.csv",
        "lrsa_cessations.csv",
        "lrsa_radiations.csv",
    ],
)
def test_documented_templates_validate(name, capsys) -> None:
    """The templates users copy (sample_data/templates/) pass the product's own checks."""
    from pipelines.settings import SAMPLE_DIR

    source = "lrsa" if name.startswith("lrsa") else name.removesuffix(".csv")
    path = SAMPLE_DIR / "templates" / name
    args = ["--mois", "2026-10"] if source == "lrsa" else []
    assert main(["validate", source, str(path), "--departement", "2A", *args]) == 0
    out = capsys.readouterr().out
    assert "2 enregistrements, 0 rejetés" in out and "Fichier chargeable." in out


PERSONNES = [
    "Identifiant RSA;Identifiant Pôle emploi;Date d'entrée dans le dispositif;Date de rendez-vous d'orientation;Type de parcours;Date de signature du contrat d'engagement",
    "R001;9000001A;01/01/2026;20/01/2026;Social;05/02/2026",
    "R002;9000002B;05/01/2026;10/02/2026;PSP;",
    "R003;;10/01/2026;;;",
]
RDV = [
    "identifiant_rsa,date_rdv,statut",
    "R001,2026-01-27,Honoré",
    "R001,2026-02-24,Honoré",
    "R002,2026-02-20,Non honoré",
]
PRESTATIONS = [
    "Identifiant RSA\tPrestation\tModalité\tDate de début\tDate de fin\tDurée en heures",
    "R001\tATELIER CV\tCollectif\t02/02/2026\t02/02/2026\t2,5",
    "R002\tFORMATION\tcollective\t09/02/2026\t13/02/2026\t30",
]


def _parcours(tmp_path, personnes=PERSONNES, rdv=RDV, prestations=PRESTATIONS) -> list[str]:
    paths = []
    for name, lines in (("p.csv", personnes), ("r.csv", rdv), ("s.csv", prestations)):
        (tmp_path / name).write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
        paths.append(str(tmp_path / name))
    return paths


def test_parcours_three_files_load_as_one_unit_in_any_order(tmp_path, settings) -> None:
    p, r, s = _parcours(tmp_path)
    assert main(["load", "parcours", s, p, r, "--departement", "2A"]) == 0
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM parcours_personne").fetchone()[0] == 3
        assert con.execute("SELECT count(*) FROM parcours_rdv").fetchone()[0] == 3
        assert con.execute(
            "SELECT list(modalite ORDER BY line_no), sum(heures) FROM parcours_prestation"
        ).fetchone() == (["collectif", "collectif"], 32.5)
        assert con.execute(
            "SELECT list(type_parcours ORDER BY line_no) FROM orientation WHERE source = 'parcours'"
        ).fetchone()[0] == ["social", "socio_professionnel"]
        assert con.execute("SELECT count(*) FROM load_journal").fetchone()[0] == 1
    # The same three files again, in another order: already loaded, nothing changes.
    assert main(["load", "auto", r, s, p, "--departement", "2A"]) == 0
    assert len(table_rows(settings, "load_journal")) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: f.update(s=[*PRESTATIONS, "R999\tATELIER\tCollectif\t02/02/2026\t\t3"]),
            "s.csv, ligne 4, champ IDENTIFIANT RSA : prestation d'une personne absente",
        ),
        (
            lambda f: f.update(s=[*PRESTATIONS, "R001\tATELIER\tCollectif\t02/02/2026\t\tdeux"]),
            "s.csv, ligne 4, champ DUREE EN HEURES : durée non numérique",
        ),
        (
            lambda f: f.update(s=[*PRESTATIONS, "R001\tATELIER\tCollectif\t02/02/2026\t\t250"]),
            "durée hors de la plage plausible",
        ),
        (
            lambda f: f.update(
                s=[*PRESTATIONS, "R001\tATELIER\tCollectif\t10/02/2026\t01/02/2026\t3"]
            ),
            "fin de prestation avant son début",
        ),
        (
            lambda f: f.update(r=[*RDV, "R404,2026-02-24,Honoré"]),
            "r.csv, ligne 5, champ IDENTIFIANT RSA : rendez-vous d'une personne absente",
        ),
        (lambda f: f.update(r=None), "le fichier des rendez-vous manque"),
    ],
)
def test_bad_parcours_units_are_refused_and_change_nothing(
    tmp_path, settings, capsys, change, message
) -> None:
    files = {"p": PERSONNES, "r": RDV, "s": PRESTATIONS}
    change(files)
    paths = _parcours(tmp_path, files["p"], files["r"] or RDV, files["s"])
    if files["r"] is None:
        paths = [paths[0], paths[2]]
    assert main(["load", "parcours", *paths, "--departement", "2A"]) == 1
    out = capsys.readouterr()
    assert message in out.out + out.err
    assert table_rows(settings, "parcours_personne") == []
    assert table_rows(settings, "orientation") == []
