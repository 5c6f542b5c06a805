"""Runtime settings, read from the environment with safe defaults.

Everything a deployment may change lives here so that tests can point the product at a
temporary warehouse and key without touching the user's files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.errors import UsageError
from pipelines.nomenclatures import NOMENCLATURES_DIR as NOMENCLATURES_DIR  # its home
from pipelines.nomenclatures import departement_code

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
EXPECTATIONS_DIR = REPO_DIR / "expectations"
SQL_DIR = PACKAGE_DIR / "sql"
LAYOUTS_DIR = PACKAGE_DIR / "layouts"
SAMPLE_DIR = REPO_DIR / "sample_data"

DEFAULT_DB = Path("data") / "pilotage.duckdb"
# The committee's context files (docs/objectifs.md): targets per département, edited by the
# administrator, and the national figures published by the DREES and others (versioned here).
DEFAULT_OBJECTIFS = REPO_DIR / "objectifs.yaml"
DEFAULT_REFERENCES = PACKAGE_DIR / "references_nationales.yaml"

# Files of the product are their owner's only: the warehouse (statistics on vulnerable
# people), the access file (password hashes, audit trail), reports, uploaded and received
# files, the key. Group and others get nothing (files 0600, folders 0700).
PRIVATE_UMASK = 0o077


def private_umask() -> None:
    """Make every file this process creates from now on 0600 and every folder 0700.

    Process-wide on purpose: DuckDB, SQLite, Great Expectations and the zip writer create
    files of their own (WAL, journals, Data Docs pages) that no chmod after the fact would
    catch in time. Called by the command line and the app at start, and by each function
    that creates one of the product's files, so the library used on its own is safe too.
    """
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """Create a folder (and its missing parents) readable by its owner only; an existing
    folder is left as it is (it may be a shared one the deployment chose)."""
    private_umask()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def private_file(path: Path) -> Path:
    """Create an empty file 0600 when it does not exist yet, so that whoever opens it next
    (SQLite) writes into a private file; an existing file of ours keeps its content and
    loses the group and other permissions an earlier version left (0644)."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        st = path.stat()
        if st.st_uid == os.getuid() and st.st_mode & 0o077:
            path.chmod(0o600)
    return path


def read_private_file(path: Path, what: str) -> str:
    """The text of a secret kept in a file (a key, a password): the file must be a regular
    file reached without a link, readable by its owner only; refused otherwise, in French,
    with the command that fixes it. The content is never part of a message."""
    import errno
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError as error:
        raise UsageError(f"{what} introuvable : {path}.") from error
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UsageError(f"{what} : {path} est un lien symbolique, refusé.") from error
        raise UsageError(f"{what} illisible : {path} ({error.strerror}).") from error
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise UsageError(f"{what} : {path} n'est pas un fichier ordinaire.")
        if st.st_mode & 0o077:
            raise UsageError(
                f"{what} : {path} est lisible par d'autres comptes que le sien (mode "
                f"{stat.S_IMODE(st.st_mode):04o}), refusé. Réservez-le à son propriétaire "
                f"(chmod 600 {path})."
            )
        data = f.read(64 * 1024)
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError as error:
        raise UsageError(f"{what} : {path} n'est pas un texte UTF-8.") from error


def _default_key_file() -> Path:
    """The key lives outside the warehouse and outside the repository by default.

    Whoever can read this file can re-identify people from their NIR: it belongs to the key
    custodian (the data protection officer's team), not to the analysts who read the warehouse.
    """
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "pilotage-rsa" / "cle_pseudonymisation"


def objectifs_file() -> Path:
    """The targets file in force: PILOTAGE_OBJECTIFS, else the example shipped at the root."""
    return Path(os.environ.get("PILOTAGE_OBJECTIFS") or DEFAULT_OBJECTIFS)


def references_file() -> Path:
    """The national references in force: PILOTAGE_REFERENCES (an administrator's updated
    copy), else the versioned file of the product."""
    return Path(os.environ.get("PILOTAGE_REFERENCES") or DEFAULT_REFERENCES)


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
        if departement is not None:  # a wrong default would load files nobody can see
            departement = departement_code(departement, "PILOTAGE_DEPARTEMENT : département")
        operator = os.environ.get("PILOTAGE_OPERATEUR") or os.environ.get("USER") or "inconnu"
        return cls(db_path, key_file, threshold, departement, operator)


@dataclass(frozen=True)
class FranceTravailSettings:
    """Access to France Travail's partner APIs (francetravail.io), from the environment.

    The secret is read from the environment of the collecting process only (a secrets
    manager or a 0600 env file of the service), never from an argument or a file of the
    repository; `repr=False` keeps it out of any printed settings or traceback.
    """

    auth_url: str
    api_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str
    concurrency: int = 32
    timeout: float = 30.0
    max_attempts: int = 5
    rate: float | None = None  # calls per second at most (the application's quota), if set
    # The collecting service's identity, sent in pa-identifiant-agent / pa-nom-agent /
    # pa-prenom-agent on every resource call (absent: 302, empty: 401).
    agent_identifiant: str = "BATCH"
    agent_nom: str = "Pilotage RSA"
    agent_prenom: str = "Collecte statistique"

    @property
    def configured(self) -> bool:
        return bool(self.auth_url and self.api_url and self.client_id and self.client_secret)

    @classmethod
    def from_env(cls) -> FranceTravailSettings:
        env = os.environ.get
        return cls(
            auth_url=(env("PILOTAGE_FT_AUTH_URL") or "https://entreprise.francetravail.fr").rstrip(
                "/"
            ),
            api_url=(env("PILOTAGE_FT_API_URL") or "https://api.francetravail.io").rstrip("/"),
            client_id=env("PILOTAGE_FT_CLIENT_ID") or "",
            client_secret=env("PILOTAGE_FT_CLIENT_SECRET") or "",
            scope=env("PILOTAGE_FT_SCOPE") or DEFAULT_FT_SCOPE,
            concurrency=int(env("PILOTAGE_FT_CONCURRENCE") or 32),
            timeout=float(env("PILOTAGE_FT_DELAI") or 30),
            max_attempts=int(env("PILOTAGE_FT_TENTATIVES") or 5),
            rate=float(env("PILOTAGE_FT_DEBIT")) if env("PILOTAGE_FT_DEBIT") else None,
            agent_identifiant=env("PILOTAGE_FT_AGENT_IDENTIFIANT", "BATCH"),
            agent_nom=env("PILOTAGE_FT_AGENT_NOM", "Pilotage RSA"),
            agent_prenom=env("PILOTAGE_FT_AGENT_PRENOM", "Collecte statistique"),
        )


# The scopes the collection asks for (docs/api_france_travail.md): Rechercher usager v2
# with its companions, then one pair per API (contrat usager, diagnostic argumenté,
# orientation usager). The names are those francetravail.io shows for the application.
DEFAULT_FT_SCOPE = (
    "api_rechercher-usagerv2 rechercheusager profil_accedant "
    "api_contrat-usagerv2 contratusager "
    "api_diagnosticargumentev4 diagnosticargumente "
    "api_orientationusagerv1 orientationusager"
)
