"""A local stand-in of France Travail's partner APIs, on 127.0.0.1, for tests and benchmarks.

It answers the token endpoint and the three resources the collection calls, with what
the agreement's annex describes: Recherche usager (S001 + an encrypted identifier, or
S002), Statut usager and Contraintes (a list of thématiques). It can refuse a bad or
expired token (401), throttle (429 with Retry-After), fail (503), answer slowly, and it
counts, on the server side, the requests in flight (the bound the client must respect),
the calls per resource and per person. Identifiers contain `#`, `/` and `+`: a client that
does not URL-encode them reaches the wrong path.

Synthetic people only: NIRs built by `synthetic_nir`, never realistic-looking values of
real persons.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from pipelines.francetravail.collecte import nir_complet

CLIENT_ID = "client-de-test"
CLIENT_SECRET = "secret-de-test-ne-pas-diffuser"
STATUTS = ("Inscrit", "Cessé", "Radié", "Identifié")
THEMATIQUES = {
    "23": "Mobilité",
    "24": "Contraintes familiales",
    "25": "Santé",
    "27": "Logement",
    "28": "Difficultés financières",
}


def synthetic_nir(index: int) -> str:
    """A 13-character NIR of a synthetic person (département 99: born abroad)."""
    sex = 1 + index % 2
    return f"{sex}{80 + index % 20:02d}{1 + index % 12:02d}99{index % 1000:03d}{index // 1000 % 1000:03d}"


def synthetic_birth(index: int) -> str:
    """The ISO date of birth matching `synthetic_nir(index)` (year and month)."""
    return f"19{80 + index % 20:02d}-{1 + index % 12:02d}-{1 + index % 28:02d}"


@dataclass
class Profile:
    identifiant: str
    statut: dict
    contraintes: list


def profile(index: int, rng: random.Random) -> Profile:
    """A person known to France Travail: status, category and constraints."""
    statut_de = STATUTS[index % len(STATUTS)]
    statut = {
        "idNat": f"ID#{index:06d}/{rng.randrange(10**6)}+x==",
        "statutDE": statut_de,
        "dateEffetStatut": f"2026-{1 + index % 9:02d}-15",
        "categInscriptionCode": str(1 + index % 5) if statut_de == "Inscrit" else None,
        "categInscriptionLib": "Catégorie",
        "motifInscriptionCode": "11",
        "situationRegEmpCode": "SAN",
        "motifClotureCode": "RE" if statut_de == "Cessé" else None,
        "messageErreur": None,
    }
    contraintes = [
        {
            "code": code,
            "libelle": label,
            "conseiller": "Conseiller Fictif",
            "dateDeModification": "2026-05-02",
            "contraintes": [
                {
                    "id": int(code) * 10,
                    "nom": f"{label} (détail)",
                    "valeur": "OUI" if (index + int(code)) % 3 == 0 else "NON",
                    "date": None,
                },
                {"id": int(code) * 10 + 1, "nom": "Autre", "valeur": "NON_ABORDEE", "date": None},
            ],
        }
        for code, label in THEMATIQUES.items()
    ]
    return Profile(statut["idNat"], statut, contraintes)


@dataclass
class Behaviour:
    """What the stand-in does besides answering (all adjustable while it runs)."""

    delay: float = 0.0  # seconds before each resource answer
    slow_delay: float = 0.0  # extra delay for the identifiants in `slow`
    slow: set = field(default_factory=set)
    expires_in: int = 1499
    throttle: int = 0  # the next N resource requests get 429
    retry_after: str = "1"
    fail: int = 0  # the next N resource requests get 503
    fail_token: int = 0  # the next N token requests get 503
    revoke_after: int | None = None  # tokens stop working after N resource requests
    forbidden: set = field(default_factory=set)  # resources the token's scopes do not open


class StandIn:
    """`with StandIn(people=200) as api:` then point PILOTAGE_FT_* at `api.url`."""

    def __init__(self, people: int = 0, unknown: int = 0, seed: int = 3, **behaviour) -> None:
        rng = random.Random(seed)
        self.people: dict[tuple[str, str], Profile] = {}
        self.persons: list[tuple[str, str]] = []  # (nir13, date of birth) of every person
        for index in range(people + unknown):
            nir, birth = synthetic_nir(index), synthetic_birth(index)
            self.persons.append((nir, birth))
            if index < people:
                self.people[(nir_complet(nir), birth)] = profile(index, rng)
        self.by_id = {p.identifiant: p for p in self.people.values()}
        self.behaviour = Behaviour(**behaviour)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.calls: Counter = Counter()
        self.per_person: Counter = Counter()  # recherche calls per NIR
        self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.bad_requests: list[str] = []
        self._resource_requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def env(self, **extra: str) -> dict[str, str]:
        """The settings a collection needs to reach this stand-in."""
        return {
            "PILOTAGE_FT_AUTH_URL": self.url,
            "PILOTAGE_FT_API_URL": self.url,
            "PILOTAGE_FT_CLIENT_ID": CLIENT_ID,
            "PILOTAGE_FT_CLIENT_SECRET": CLIENT_SECRET,
            "PILOTAGE_FT_SCOPE": "api_rechercher-usagerv1 api_statut-usagerv1",
            **extra,
        }

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- decisions, under the lock ------------------------------------------------------

    def _take(self, name: str) -> bool:
        with self.lock:
            left = getattr(self.behaviour, name)
            if left > 0:
                setattr(self.behaviour, name, left - 1)
                return True
            return False

    def _token_ok(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        with self.lock:
            expiry = self.tokens.get(header[len("Bearer ") :])
            self._resource_requests += 1
            revoked = (
                self.behaviour.revoke_after is not None
                and self._resource_requests > self.behaviour.revoke_after
            )
            if revoked:
                self.behaviour.revoke_after = None
                self.tokens.clear()
                return False
        return expiry is not None and time.monotonic() < expiry

    def stats(self) -> dict:
        return {"max_in_flight": self.max_in_flight, "calls": dict(self.calls)}

    def issue_token(self) -> dict:
        token = f"jeton-{random.randrange(10**12)}"
        with self.lock:
            self.tokens[token] = time.monotonic() + self.behaviour.expires_in
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.behaviour.expires_in,
        }

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                return None

            def _send(self, status: int, body: object = None, headers: dict | None = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _enter(self) -> None:
                with standin.lock:
                    standin.in_flight += 1
                    standin.max_in_flight = max(standin.max_in_flight, standin.in_flight)

            def _leave(self) -> None:
                with standin.lock:
                    standin.in_flight -= 1

            def do_POST(self) -> None:
                self._enter()
                try:
                    self._post()
                finally:
                    self._leave()

            def do_GET(self) -> None:
                self._enter()
                try:
                    self._get()
                finally:
                    self._leave()

            def _post(self) -> None:
                parts = urlsplit(self.path)
                body = self._body()
                if parts.path == "/connexion/oauth2/access_token":
                    standin.calls["token"] += 1
                    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                    if parse_qs(parts.query).get("realm") != ["/partenaire"]:
                        return self._send(400, {"error": "invalid_realm"})
                    if standin._take("fail_token"):
                        return self._send(503)
                    if (
                        form.get("grant_type") != "client_credentials"
                        or form.get("client_id") != CLIENT_ID
                        or form.get("client_secret") != CLIENT_SECRET
                    ):
                        return self._send(401, {"error": "invalid_client"})
                    return self._send(200, standin.issue_token())
                if parts.path == "/partenaire/rechercher-usager/v1/usagers/recherche":
                    if not self._resource_gate("recherche"):
                        return None
                    query = json.loads(body or b"{}")
                    nir, birth = query.get("nir", ""), query.get("dateNaissance", "")
                    if len(nir) != 15 or len(birth) != 10:
                        standin.bad_requests.append("recherche")
                    with standin.lock:
                        standin.per_person[nir] += 1
                    found = standin.people.get((nir, birth))
                    if found is None:
                        return self._send(
                            200, {"codeRetour": "S002", "message": None, "identifiant": None}
                        )
                    return self._send(
                        200,
                        {
                            "codeRetour": "S001",
                            "message": None,
                            "identifiant": found.identifiant,
                            "topIdentiteCertifiee": "Oui",
                        },
                    )
                return self._send(404)

            def _resource_gate(self, name: str) -> bool:
                """Token, throttling, failures and delay common to the three resources."""
                standin.calls[name] += 1
                if name in standin.behaviour.forbidden:
                    self._send(403, {"message": "scope absent"})
                    return False
                if not standin._token_ok(self.headers.get("Authorization")):
                    self._send(401, {"message": "jeton invalide"})
                    return False
                if standin._take("throttle"):
                    self._send(
                        429, {"message": "quota"}, {"Retry-After": standin.behaviour.retry_after}
                    )
                    return False
                if standin._take("fail"):
                    self._send(503, {"message": "indisponible"})
                    return False
                if standin.behaviour.delay:
                    time.sleep(standin.behaviour.delay)
                return True

            def _get(self) -> None:
                if self.path == "/_stats":  # for a benchmark running the stand-in apart
                    with standin.lock:
                        return self._send(200, standin.stats())
                segments = urlsplit(self.path).path.split("/")
                # /partenaire/<api>/v1/<collection>/<identifiant>/<resource>
                if len(segments) != 7:
                    return self._send(404)
                api, identifiant, resource = segments[2], unquote(segments[5]), segments[6]
                name = {"statut-usager": "statut", "diagnosticargumente": "contraintes"}.get(api)
                if name is None or resource != name:
                    return self._send(404)
                if not self._resource_gate(name):
                    return None
                person = standin.by_id.get(identifiant)
                if person is None:
                    return self._send(404, {"message": "individu inconnu"})
                if identifiant in standin.behaviour.slow:
                    time.sleep(standin.behaviour.slow_delay)
                return self._send(200, person.statut if name == "statut" else person.contraintes)

        return Handler


def serve(people: int, unknown: int, delay: float, ready) -> None:
    """Run a stand-in until killed (a benchmark's separate process): `ready` receives its
    URL and persons."""
    with StandIn(people=people, unknown=unknown, delay=delay) as api:
        ready.send((api.url, api.persons))
        threading.Event().wait()
