"""An HTTP client for France Travail's partner APIs (francetravail.io), as they really are.

The contract is the one the services run by départements and the GIP plateforme de
l'inclusion call in production (docs/api_france_travail.md):

- OAuth2 client credentials at `{AUTH}/connexion/oauth2/access_token?realm=/agent`, the
  scopes configurable; every resource call carries the identity of the collecting service
  in `pa-identifiant-agent`, `pa-nom-agent`, `pa-prenom-agent` (absent: 302, empty: 401);
- Rechercher usager v2 (`POST …/par-datenaissance-et-nir`) answers `codeRetour` (S001 one
  person, S002 none, S003 several), `jetonUsager` (an opaque token) and
  `topIdentiteCertifiee` (« O » / « N »);
- the resources take that token in the `ft-jeton-usager` header at fixed paths: contrat
  usager v2 (statut), diagnostic argumenté v4 (contraintes), orientation usager v1
  (lectureOrientation). 204 means « no data », not an error.

Made for thousands of people from a pool of threads sharing one `httpx.Client`:

- the token shared by every request and renewed before it expires (or once after a 401);
- bounded concurrency (`concurrency` requests in flight) and, when the quota is known,
  `rate` calls per second;
- `timeout` bounds a whole exchange, from connecting to the last byte of the body (a
  server trickling a byte a second cannot hold a call longer): the sockets' reads and
  writes are given what is left of the exchange's deadline (`_DeadlineBackend`);
- a body larger than `MAX_BODY` is refused; an answer of the wrong shape is an `ApiError`
  for that person only;
- 302, a second 401 and 403 raise `CollectionStopped` with a French message on what to
  check: nothing else can succeed; 429 waits `Retry-After` (one pause for every worker,
  the quota is the application's); 5xx and network errors are retried with a jittered
  exponential backoff. Waiting goes through an injected `Clock` (tests never sleep).

Nothing personal leaves this module in an exception or a log: errors carry a short code
(`http_503`, `delai_depasse`, …) and never a URL, a body, a NIR or a jeton (the `Recherche`
result has no repr); httpx's own request log is silenced.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from dataclasses import dataclass, fields
from typing import Protocol

import httpcore
import httpx

from pipelines.settings import FranceTravailSettings

# httpx logs every request URL at INFO; keep the library quiet whatever the root level.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

TOKEN_PATH = "/connexion/oauth2/access_token"
REALM = "/agent"
RECHERCHE_PATH = "/partenaire/rechercher-usager/v2/usagers/par-datenaissance-et-nir"
CONTRAT_PATH = "/partenaire/contrat-usager/v2/contrat"
DIAGNOSTIC_PATH = "/partenaire/diagnosticargumente/v4/dossiers"
ORIENTATION_PATH = "/partenaire/orientationusager/v1/lectureOrientation"
JETON_HEADER = "ft-jeton-usager"
RENEW_MARGIN = 0.1  # renew when 10 % of the token's lifetime is left (at least 30 s)
MAX_RETRY_AFTER = 300.0  # a longer pause asked by a 429 is not waited for: the call fails
MAX_BODY = 4 * 1024 * 1024  # bytes; a diagnostic with every besoin is far below
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0

API_NAMES = {  # what a message names when an API refuses the application
    RECHERCHE_PATH: "Rechercher usager",
    CONTRAT_PATH: "Statut usager (contrat-usager)",
    DIAGNOSTIC_PATH: "Diagnostic argumenté",
    ORIENTATION_PATH: "Orientation usager",
}


class ApiError(Exception):
    """A call that failed for good for one person. `code` is what the report counts."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


class CollectionStopped(ApiError):
    """Nothing can be collected (credentials, scopes, agent headers): stop every worker."""


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class Stats:
    """Counters of one collection, for the report (no identifier); thread-safe `add`."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0  # 429 answers
    server_errors: int = 0  # 5xx answers
    timeouts: int = 0
    tokens: int = 0
    no_content: int = 0  # 204 answers

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(repr=False, eq=False)
class Recherche:
    """What Rechercher usager said. The jeton stays in memory: no repr, never stored."""

    code_retour: str
    jeton: str | None
    certifiee: bool

    def __repr__(self) -> str:
        return f"Recherche({self.code_retour}, certifiee={self.certifiee})"


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


# -- one deadline per exchange, applied at the socket ----------------------------------


class _Deadline(threading.local):
    """The monotonic time the current thread's exchange must end by (None: no bound)."""

    at: float | None = None

    def left(self, timeout: float | None, error: type[Exception]) -> float | None:
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise error("délai de l'appel dépassé")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write gets at most what is left of the deadline:
    httpx's own timeouts bound each read, so a byte a second would never trip them."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        stream = self._stream.start_tls(
            ssl_context, server_hostname, self._deadline.left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend, deadline: _Deadline) -> None:
        self._backend = backend
        self._deadline = deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        left = self._deadline.left(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, left, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        left = self._deadline.left(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_unix_socket(path, left, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _bounded_transport(limits: httpx.Limits, deadline: _Deadline) -> httpx.HTTPTransport:
    """httpx's transport with the deadline at its sockets. httpx does not expose httpcore's
    network backend, so it is set on the pool before any connection exists (a test checks
    the attribute is still there: an httpx upgrade that moves it fails loudly)."""
    transport = httpx.HTTPTransport(limits=limits)
    pool = transport._pool
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpx/httpcore incompatible : délai par appel impossible à borner")
    pool._network_backend = _DeadlineBackend(pool._network_backend, deadline)
    return transport


class FranceTravailClient:
    """Use as `with FranceTravailClient(settings) as client:`, from any number of threads."""

    def __init__(
        self,
        settings: FranceTravailSettings,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.stats = Stats()
        self.clock = clock or SystemClock()
        self._deadline = _Deadline()
        limits = httpx.Limits(
            max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
        )
        self._http = httpx.Client(
            timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
            transport=transport or _bounded_transport(limits, self._deadline),
            follow_redirects=False,
        )
        self._slots = threading.BoundedSemaphore(settings.concurrency)
        self._token: str | None = None
        self._expires_at = 0.0
        self._token_lock = threading.Lock()
        self._pause_until = 0.0
        self._pause_lock = threading.Lock()
        self._next_call = 0.0  # the earliest start of the next call under `rate`

    def __enter__(self) -> FranceTravailClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    # -- token -----------------------------------------------------------------------

    def _bearer(self) -> str:
        """The current token, fetched or renewed when little of its lifetime is left."""
        if self._token and self.clock.monotonic() < self._expires_at:
            return self._token
        with self._token_lock:
            if self._token and self.clock.monotonic() < self._expires_at:
                return self._token
            self._fetch_token()
            assert self._token is not None
            return self._token

    def _fetch_token(self) -> None:
        s = self.settings
        form = {
            "grant_type": "client_credentials",
            "client_id": s.client_id,
            "client_secret": s.client_secret,
            "scope": s.scope,
        }
        for attempt in range(s.max_attempts):
            try:
                status, body, headers = self._exchange(
                    "POST", s.auth_url + TOKEN_PATH, params={"realm": REALM}, data=form
                )
            except httpx.TimeoutException:
                self.stats.add("timeouts")
                self._backoff(attempt)
                continue
            except (httpx.RequestError, ApiError):
                self._backoff(attempt)
                continue
            if status == 429 or status >= 500:
                self._after_failure(status, headers, attempt)
                continue
            if status != 200:
                raise CollectionStopped(
                    f"jeton_http_{status}",
                    "France Travail refuse l'authentification (réponse "
                    f"{status}) : vérifiez PILOTAGE_FT_CLIENT_ID, PILOTAGE_FT_CLIENT_SECRET et "
                    f"PILOTAGE_FT_SCOPE (royaume {REALM}).",
                )
            try:
                parsed = json.loads(body)
                token = f"{parsed.get('token_type') or 'Bearer'} {parsed['access_token']}"
                lifetime = float(parsed.get("expires_in") or 0)
            except (ValueError, KeyError, TypeError, AttributeError):
                raise CollectionStopped(
                    "jeton_illisible", "Réponse illisible du service d'authentification."
                ) from None
            self._token = token
            now = self.clock.monotonic()
            self._expires_at = now + lifetime - max(30.0, RENEW_MARGIN * lifetime)
            self.stats.add("tokens")
            return
        raise CollectionStopped(
            "jeton_indisponible", "Service d'authentification de France Travail indisponible."
        )

    # -- one exchange ----------------------------------------------------------------

    def _exchange(self, method: str, url: str, **kwargs) -> tuple[int, bytes, httpx.Headers]:
        """One request, its whole body read under the deadline and the size cap."""
        self._deadline.at = time.monotonic() + self.settings.timeout
        try:
            with self._slots:
                self.stats.add("requests")
                with self._http.stream(method, url, **kwargs) as response:
                    declared = response.headers.get("Content-Length", "")
                    if declared.isdigit() and int(declared) > MAX_BODY:
                        raise ApiError("reponse_trop_grande")
                    chunks, size = [], 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > MAX_BODY:
                            raise ApiError("reponse_trop_grande")
                        chunks.append(chunk)
                    return response.status_code, b"".join(chunks), response.headers
        finally:
            self._deadline.at = None

    # -- waiting ---------------------------------------------------------------------

    def _backoff(self, attempt: int) -> None:
        self.stats.add("retries")
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
        self.clock.sleep(delay * (0.5 + random.random() / 2))

    def _after_failure(self, status: int, headers: httpx.Headers, attempt: int) -> None:
        """Wait before the next attempt: the server's `Retry-After` on 429 (shared by
        every worker), an exponential backoff otherwise."""
        if status == 429:
            self.stats.add("throttled")
            wait = retry_after_seconds(headers.get("Retry-After"))
            if wait is not None:
                if wait > MAX_RETRY_AFTER:
                    raise ApiError(
                        "http_429", "Quota d'appels dépassé (attente demandée trop longue)."
                    )
                self.stats.add("retries")
                with self._pause_lock:
                    self._pause_until = max(self._pause_until, self.clock.monotonic() + wait)
                return
        else:
            self.stats.add("server_errors")
        self._backoff(attempt)

    def _wait_pause(self) -> None:
        """Wait for a pause a 429 asked for, then for this call's turn under `rate`."""
        while (delay := self._pause_until - self.clock.monotonic()) > 0:
            self.clock.sleep(delay)
        if self.settings.rate:
            with self._pause_lock:
                now = self.clock.monotonic()
                start = max(now, self._next_call)
                self._next_call = start + 1.0 / self.settings.rate
            if start > now:
                self.clock.sleep(start - now)

    # -- resources -------------------------------------------------------------------

    def _agent_headers(self) -> dict[str, str]:
        s = self.settings
        return {
            "pa-identifiant-agent": s.agent_identifiant,
            "pa-nom-agent": s.agent_nom,
            "pa-prenom-agent": s.agent_prenom,
        }

    def _stopped(self, status: int, path: str) -> CollectionStopped:
        api = API_NAMES.get(path, path)
        if status == 302:
            text = (
                f"France Travail redirige l'appel à {api} (302) : les en-têtes d'agent "
                "pa-identifiant-agent, pa-nom-agent et pa-prenom-agent manquent ; vérifiez "
                "PILOTAGE_FT_AGENT_IDENTIFIANT, PILOTAGE_FT_AGENT_NOM et PILOTAGE_FT_AGENT_PRENOM."
            )
        elif status == 401:
            text = (
                f"France Travail refuse l'appel à {api} (401) même avec un jeton neuf : "
                "vérifiez que PILOTAGE_FT_AGENT_IDENTIFIANT, PILOTAGE_FT_AGENT_NOM et "
                "PILOTAGE_FT_AGENT_PRENOM ne sont pas vides, et les identifiants client."
            )
        else:
            text = (
                f"Accès refusé à l'API {api} (403) : vérifiez les scopes (PILOTAGE_FT_SCOPE) "
                "et l'abonnement de l'application à cette API sur francetravail.io."
            )
        return CollectionStopped(f"http_{status}", text + " Collecte arrêtée.")

    def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: dict | None = None,
        params: dict | None = None,
        jeton: str | None = None,
    ) -> object | None:
        """One API call with retries: the decoded JSON, or None on 204 (no data)."""
        url = self.settings.api_url + path
        code = "echec"
        renewed = False
        for attempt in range(self.settings.max_attempts):
            token = self._bearer()
            self._wait_pause()
            headers = {
                "Authorization": token,
                "Accept": "application/json",
                **self._agent_headers(),
                **({JETON_HEADER: jeton} if jeton is not None else {}),
            }
            try:
                status, body, answer = self._exchange(
                    method, url, json=json_body, params=params, headers=headers
                )
            except httpx.TimeoutException:
                self.stats.add("timeouts")
                code = "delai_depasse"
                self._backoff(attempt)
                continue
            except httpx.RequestError:
                code = "reseau"
                self._backoff(attempt)
                continue
            if status == 401 and not renewed:  # expired or revoked early: one new token
                renewed = True
                if self._token == token:
                    self._token = None
                continue
            if status in (302, 401, 403):
                raise self._stopped(status, path)
            if status == 429 or status >= 500:
                code = f"http_{status}"
                self._after_failure(status, answer, attempt)
                continue
            if status == 204:
                self.stats.add("no_content")
                return None
            if status != 200:
                raise ApiError(f"http_{status}")
            try:
                return json.loads(body)
            except ValueError:  # truncated or not JSON
                raise ApiError("reponse_illisible") from None
        raise ApiError(code)

    def rechercher_usager(self, nir: str, date_naissance: str) -> Recherche:
        """Rechercher usager v2 for a 15-character NIR and an ISO date of birth."""
        body = self._call(
            "POST", RECHERCHE_PATH, json_body={"dateNaissance": date_naissance, "nir": nir}
        )
        if not isinstance(body, dict) or not isinstance(body.get("codeRetour"), str):
            raise ApiError("reponse_illisible")
        code = body["codeRetour"].strip()
        jeton = body.get("jetonUsager")
        if code != "S001":
            return Recherche(code, None, False)
        if not isinstance(jeton, str) or not jeton:
            raise ApiError("reponse_illisible")  # a number, an object, nothing
        return Recherche(code, jeton, body.get("topIdentiteCertifiee") == "O")

    def contrat(self, jeton: str) -> dict | None:
        """Statut usager (contrat-usager v2): the `m_contrat` object, None on 204."""
        body = self._call("GET", CONTRAT_PATH, jeton=jeton)
        if body is None:
            return None
        contrat = body.get("m_contrat") if isinstance(body, dict) else None
        if not isinstance(contrat, dict):
            raise ApiError("reponse_illisible")
        return contrat

    def diagnostic(self, jeton: str) -> list[dict]:
        """The contraintes of the diagnostic argumenté v4 (`thematiqueContrainte`), each
        a dict with at least `code` and `valeur`; empty on 204 or without the thématique."""
        body = self._call("GET", DIAGNOSTIC_PATH, jeton=jeton)
        if body is None:
            return []
        if not isinstance(body, dict):
            raise ApiError("reponse_illisible")
        thematique = body.get("thematiqueContrainte")
        if thematique is None:
            return []
        items = thematique.get("contraintes") if isinstance(thematique, dict) else None
        if items is None:
            return []
        if not isinstance(items, list) or not all(isinstance(c, dict) for c in items):
            raise ApiError("reponse_illisible")
        return items

    def orientations(self, jeton: str) -> list[dict]:
        """lectureOrientation (open orientations): a list, empty on 204."""
        body = self._call(
            "GET", ORIENTATION_PATH, params={"etatOrientation": "OUVERT"}, jeton=jeton
        )
        if body is None:
            return []
        if not isinstance(body, list) or not all(isinstance(o, dict) for o in body):
            raise ApiError("reponse_illisible")
        return body
