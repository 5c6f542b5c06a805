"""Runtime settings, read from the environment with safe defaults.

Everything a deployment may change lives here so that tests can point the product at a
temporary warehouse and key without touching the user's files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
EXPECTATIONS_DIR = REPO_DIR / "expectations"
SQL_DIR = PACKAGE_DIR / "sql"
LAYOUTS_DIR = PACKAGE_DIR / "layouts"
NOMENCLATURES_DIR = PACKAGE_DIR / "nomenclatures"
SAMPLE_DIR = REPO_DIR / "sample_data"

DEFAULT_DB = Path("data") / "pilotage.duckdb"


def _default_key_file() -> Path:
    """The key lives outside the warehouse and outside the repository by default.

    Whoever can read this file can re-identify people from their NIR: it belongs to the key
    custodian (the data protection officer's team), not to the analysts who read the warehouse.
    """
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "pilotage-rsa" / "cle_pseudonymisation"


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one command or app session."""

    db_path: Path
    key_file: Path
    line_error_threshold: float = 0.01
    default_departement: str | None = None
    operator: str = "inconnu"

    @classmethod
    def from_env(cls, db: str | os.PathLike[str] | None = None) -> Settings:
        """Command-line value first, then environment, then default."""
        db_path = Path(db or os.environ.get("PILOTAGE_DB") or DEFAULT_DB)
        key_file = Path(os.environ.get("PILOTAGE_KEY_FILE") or _default_key_file())
        threshold = float(os.environ.get("PILOTAGE_SEUIL_LIGNES", "0.01"))
        departement = os.environ.get("PILOTAGE_DEPARTEMENT") or None
        operator = os.environ.get("PILOTAGE_OPERATEUR") or os.environ.get("USER") or "inconnu"
        return cls(db_path, key_file, threshold, departement, operator)
