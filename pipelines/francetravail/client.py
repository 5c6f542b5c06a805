"""An HTTP client for three of France Travail's partner APIs (francetravail.io).

Recherche usager (NIR + date of birth -> an encrypted identifier), Statut usager and
Diagnostic individu / Contraintes (both keyed by that identifier). Made for a collection
of thousands of people against a service whose agreement promises 90 % of answers under
one second and up to six for complex ones, from a pool of threads sharing one
`httpx.Client` (measured here: `httpx.AsyncClient` spent three times the CPU for the same
calls and fell far behind the allowed concurrency on a loaded machine):

- OAuth2 client credentials, the token shared by every request and renewed before it
  expires (or once after a 401);
- bounded concurrency: at most `concurrency` requests in flight, token requests included;
  and, when the application's quota is known (`rate`), at most that many calls per second;
- timeouts on every request; retries bounded by `max_attempts`, honouring `Retry-After`
  on 429 (one pause for every worker, since the quota is the client's, not a request's)
  and backing off exponentially, with jitter, on 5xx and network errors;
- identifiers URL-encoded in paths (they contain `#`, `/`, `+`).

Nothing personal leaves this module in an exception or a log: errors carry a short code
(`http_503`, `delai_depasse`, ...) and never a URL, a body or an identifier; httpx's own
request log (which prints URLs) is silenced.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from dataclasses import dataclass, fields
from urllib.parse import quote

import httpx

from pipelines.settings import FranceTravailSettings

# httpx logs every request URL at INFO: an URL holds an encrypted identifier.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

TOKEN_PATH = "/connexion/oauth2/access_token"
RECHERCHE_PATH = "/partenaire/rechercher-usager/v1/usagers/recherche"
STATUT_PATH = "/partenaire/statut-usager/v1/usagers/{identifiant}/statut"
CONTRAINTES_PATH = "/partenaire/diagnosticargumente/v1/individus/{identifiant}/contraintes"
RENEW_MARGIN = 0.1  # renew when 10 % of the token's lifetime is left (at least 30 s)
MAX_RETRY_AFTER = 300.0  # a longer pause asked by a 429 is not waited for: the call fails
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0


class ApiError(Exception):
    """A call that failed for good. `code` is what the quality report counts."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


class AuthenticationError(ApiError):
    """The token endpoint refused the credentials: nothing can be collected."""


@dataclass
class Stats:
    """Counters of one collection, for the report (no identifier); thread-safe `add`."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0  # 429 answers
    server_errors: int = 0  # 5xx answers
    timeouts: int = 0
    tokens: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _quote(identifiant: str) -> str:
    return quote(identifiant, safe="")


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


class FranceTravailClient:
    """Use as `with FranceTravailClient(settings) as client:`, from any number of threads."""

    def __init__(
        self,
        settings: FranceTravailSettings,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.stats = Stats()
        limits = httpx.Limits(
            max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
        )
        self._http = httpx.Client(
            timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
            limits=limits,
            transport=transport,
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
        if self._token and time.monotonic() < self._expires_at:
            return self._token
        with self._token_lock:
            if self._token and time.monotonic() < self._expires_at:
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
                with self._slots:
                    self.stats.add("requests")
                    response = self._http.post(
                        s.auth_url + TOKEN_PATH, params={"realm": "/partenaire"}, data=form
                    )
            except httpx.TimeoutException:
                self.stats.add("timeouts")
                self._backoff(attempt)
                continue
            except httpx.RequestError:
                self._backoff(attempt)
                continue
            if response.status_code == 429 or response.status_code >= 500:
                self._after_failure(response, attempt)
                continue
            if response.status_code != 200:
                raise AuthenticationError(
                    f"jeton_http_{response.status_code}",
                    "France Travail refuse l'authentification (réponse "
                    f"{response.status_code}) : vérifiez PILOTAGE_FT_CLIENT_ID, "
                    "PILOTAGE_FT_CLIENT_SECRET et PILOTAGE_FT_SCOPE.",
                )
            try:
                body = response.json()
                token = f"{body.get('token_type') or 'Bearer'} {body['access_token']}"
                lifetime = float(body.get("expires_in") or 0)
            except (ValueError, KeyError, TypeError, AttributeError):
                raise AuthenticationError(
                    "jeton_illisible", "Réponse illisible du service d'authentification."
                ) from None
            self._token = token
            self._expires_at = time.monotonic() + lifetime - max(30.0, RENEW_MARGIN * lifetime)
            self.stats.add("tokens")
            return
        raise AuthenticationError(
            "jeton_indisponible", "Service d'authentification de France Travail indisponible."
        )

    # -- requests --------------------------------------------------------------------

    def _backoff(self, attempt: int) -> None:
        self.stats.add("retries")
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
        time.sleep(delay * (0.5 + random.random() / 2))

    def _after_failure(self, response: httpx.Response, attempt: int) -> None:
        """Wait before the next attempt: the server's `Retry-After` on 429 (shared by
        every worker), an exponential backoff otherwise."""
        if response.status_code == 429:
            self.stats.add("throttled")
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if wait is not None:
                if wait > MAX_RETRY_AFTER:
                    raise ApiError(
                        "http_429", "Quota d'appels dépassé (attente demandée trop longue)."
                    )
                self.stats.add("retries")
                with self._pause_lock:
                    self._pause_until = max(self._pause_until, time.monotonic() + wait)
                return
        else:
            self.stats.add("server_errors")
        self._backoff(attempt)

    def _wait_pause(self) -> None:
        """Wait for a pause a 429 asked for, then for this call's turn under `rate`."""
        while (delay := self._pause_until - time.monotonic()) > 0:
            time.sleep(delay)
        if self.settings.rate:
            with self._pause_lock:
                now = time.monotonic()
                start = max(now, self._next_call)
                self._next_call = start + 1.0 / self.settings.rate
            if start > now:
                time.sleep(start - now)

    def _call(self, method: str, path: str, json: dict | None = None) -> object | None:
        """One API call with retries; None on 404 (no such resource for this person)."""
        url = self.settings.api_url + path
        code = "echec"
        renewed = False
        for attempt in range(self.settings.max_attempts):
            token = self._bearer()
            self._wait_pause()
            try:
                with self._slots:
                    self.stats.add("requests")
                    response = self._http.request(
                        method,
                        url,
                        json=json,
                        headers={"Authorization": token, "Accept": "application/json"},
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
            status = response.status_code
            if status == 401 and not renewed:  # expired or revoked early: one new token
                renewed = True
                if self._token == token:
                    self._token = None
                continue
            if status == 429 or status >= 500:
                code = f"http_{status}"
                self._after_failure(response, attempt)
                continue
            if status == 404:
                return None
            if status not in (200, 206):
                raise ApiError(f"http_{status}")
            try:
                return response.json()
            except ValueError:
                raise ApiError("reponse_illisible") from None
        raise ApiError(code)

    def rechercher_usager(self, nir: str, date_naissance: str) -> tuple[str, str | None]:
        """(codeRetour, identifiant or None) for a full NIR (15 characters) and an ISO date."""
        body = self._call("POST", RECHERCHE_PATH, {"nir": nir, "dateNaissance": date_naissance})
        if not isinstance(body, dict):
            return ("S002", None) if body is None else ("reponse_illisible", None)
        code = str(body.get("codeRetour") or "sans_code_retour")
        identifiant = body.get("identifiant") or None
        return code, identifiant if code == "S001" else None

    def statut_usager(self, identifiant: str) -> dict | None:
        body = self._call("GET", STATUT_PATH.format(identifiant=_quote(identifiant)))
        if body is not None and not isinstance(body, dict):
            raise ApiError("reponse_illisible")
        return body

    def contraintes(self, identifiant: str) -> list[dict]:
        """The thématiques of the diagnostic, each with its `contraintes` (empty when the
        person has no diagnostic). A single thématique object is read as a list of one."""
        body = self._call("GET", CONTRAINTES_PATH.format(identifiant=_quote(identifiant)))
        if body is None:
            return []
        if isinstance(body, dict):
            body = [body] if "contraintes" in body else body.get("thematiques", [])
        if not isinstance(body, list) or not all(isinstance(t, dict) for t in body):
            raise ApiError("reponse_illisible")
        return body
