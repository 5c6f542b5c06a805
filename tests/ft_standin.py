"""A local stand-in of France Travail's partner APIs, on 127.0.0.1, for tests and benchmarks.

It speaks the contract production clients use (docs/api_france_travail.md): the token
endpoint in the `/agent` realm; Rechercher usager v2 by birth date and NIR (codeRetour S001
with a jetonUsager and topIdentiteCertifiee, S002, S003; R997 on a bad request); then,
with the jeton in the `ft-jeton-usager` header, contrat-usager v2, diagnostic argumenté v4
and lectureOrientation v1, each answering 204 when it has nothing. Every resource call needs
the three agent headers (absent: 302, empty: 401). The paths the product used to call
(v1 search, identifiers in the URL) answer 404.

It can throttle (429 with Retry-After), fail (503), answer slowly or trickle a body byte by
byte, send a malformed answer for chosen persons, an oversized body, and it counts, on the
server side, the requests in flight, the calls per resource and per person.

Synthetic people only: NIRs built by `synthetic_nir`, never realistic-looking values of
real persons; jetons are random and opaque (they hold `#`, `/`, `+`).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from pipelines.francetravail.collecte import nir_complet

CLIENT_ID = "client-de-test"
CLIENT_SECRET = "secret-de-test-ne-pas-diffuser"
STATUTS = ("Inscrit", "Cessé", "Radié", "Non inscrit")
CATEGORIES = ("1", "2", "3", "4", "5", "6", "7", "8", "F", "G")
THEMATIQUES = {  # code -> libellé, as diagnostic argumenté v4 lists them
    "23": "Développer sa mobilité",
    "24": "Surmonter ses contraintes familiales",
    "25": "Prendre en compte son état de santé",
    "26": "Maîtriser les savoirs de base",
    "27": "Se loger",
    "28": "Faire face à des difficultés financières",
    "29": "Faire face à des difficultés administratives ou juridiques",
}
VALEURS = ("OUI", "NON", "NON_ABORDEE", "CLOTUREE")
PARCOURS = ("PED", "PSP", "PSO")
AGENT_HEADERS = ("pa-identifiant-agent", "pa-nom-agent", "pa-prenom-agent")
RESOURCES = {  # path -> name of the resource
    "/partenaire/contrat-usager/v2/contrat": "contrat",
    "/partenaire/diagnosticargumente/v4/dossiers": "diagnostic",
    "/partenaire/orientationusager/v1/lectureOrientation": "orientation",
}
RECHERCHE = "/partenaire/rechercher-usager/v2/usagers/par-datenaissance-et-nir"


def synthetic_nir(index: int) -> str:
    """A 13-character NIR of a synthetic person (département 99: born abroad)."""
    sex = 1 + index % 2
    return f"{sex}{80 + index % 20:02d}{1 + index % 12:02d}99{index % 1000:03d}{index // 1000 % 1000:03d}"


def synthetic_birth(index: int) -> str:
    """The ISO date of birth matching `synthetic_nir(index)` (year and month)."""
    return f"19{80 + index % 20:02d}-{1 + index % 12:02d}-{1 + index % 28:02d}"


@dataclass
class Profile:
    """A person France Travail knows: what each resource answers (None: 204)."""

    index: int
    certifiee: bool
    contrat: dict | None
    diagnostic: dict | None
    orientations: list | None


def profile(index: int, certifiee: bool = True) -> Profile:
    """Every fifth person has no contract (204), every sixth no diagnostic, every fourth no
    orientation; the others vary status, category, values and parcours with the index."""
    statut = STATUTS[index % len(STATUTS)]
    contrat = {
        "m_contrat": {
            "m_statut": statut,
            "m_date_effet_statut": f"2026-{1 + index % 9:02d}-15",
            "m_duree_inscription_12": index % 12,
            "m_motif_inscription_code": "11",
            "m_motif_inscription_lib": "LIBELLE DU MOTIF",
            "m_categ_inscription_code": CATEGORIES[index % len(CATEGORIES)]
            if statut == "Inscrit"
            else None,
            "m_categ_inscription_lib": "LIBELLE DE LA CATEGORIE",
            "m_situation_reg_emp_code": "SAN",
            "m_motif_cloture_code": "MV" if statut == "Cessé" else None,
        }
    }
    diagnostic = {
        "besoinsParDiagnostic": [],
        "thematiqueContrainte": {
            "code": "7",
            "libelle": "Résoudre ses contraintes personnelles",
            "contraintes": [
                {
                    "code": code,
                    "libelle": label,
                    "valeur": VALEURS[(index + int(code)) % len(VALEURS)],
                    "estPrioritaire": False,
                    "impact": "FAIBLE",
                    "situations": [],
                    "objectifs": [],
                }
                for code, label in THEMATIQUES.items()
            ],
        },
    }
    refused = index % 7 == 0
    orientations = [
        {
            "parcours": PARCOURS[index % 3],
            "organisme": "CD",
            "structure": {"code_safir": "00000", "libelle_structure": "Agence fictive"},
            "statut": "DECIDE" if index % 5 else "EN_ATTENTE",
            "etat": "OUVERT",
            "date_entree_parcours": f"2026-{1 + index % 9:02d}-0{1 + index % 8}",
            "date_sortie_parcours": None,
            "decision": {
                "etat_decision": "REFUSEE" if refused else "VALIDEE",
                "date_decision": f"2026-{1 + index % 9:02d}-01",
            },
            "criteres_orientation": {"origine": "INSCRIPTION_CONSEILLER_CD"},
        }
    ]
    return Profile(
        index,
        certifiee,
        None if index % 5 == 4 else contrat,
        None if index % 6 == 5 else diagnostic,
        None if index % 4 == 3 else orientations,
    )


def expected_orientation(p: Profile) -> dict | None:
    """What the collection must keep of a profile's orientation (None: nothing)."""
    if not p.orientations:
        return None
    o = p.orientations[0]
    if o["statut"] != "DECIDE" or o["decision"]["etat_decision"] == "REFUSEE":
        return None
    return o


@dataclass
class Behaviour:
    """What the stand-in does besides answering (all adjustable while it runs)."""

    delay: float = 0.0  # seconds before each resource answer
    expires_in: int = 1499
    throttle: int = 0  # the next N resource requests get 429
    retry_after: str = "1"
    fail: int = 0  # the next N resource requests get 503
    fail_token: int = 0  # the next N token requests get 503
    revoke_after: int | None = None  # tokens stop working after N resource requests
    forbidden: set = field(default_factory=set)  # resources the token's scopes do not open
    malformed: dict = field(default_factory=dict)  # person index -> kind of bad answer
    trickle: set = field(default_factory=set)  # person indexes whose contract trickles
    oversized: set = field(default_factory=set)  # person indexes whose contract is huge


class StandIn:
    """`with StandIn(people=200) as api:` then point PILOTAGE_FT_* at `api.url`.

    Persons are numbered: the first `people` are known and certified, then `uncertified`
    known but uncertified, then `homonyms` (S003), then `unknown` (S002)."""

    def __init__(
        self,
        people: int = 0,
        unknown: int = 0,
        uncertified: int = 0,
        homonyms: int = 0,
        seed: int = 3,
        **behaviour,
    ) -> None:
        self.rng = random.Random(seed)
        self.people: dict[tuple[str, str], Profile] = {}
        self.homonyms: set[tuple[str, str]] = set()
        self.persons: list[tuple[str, str]] = []  # (nir13, date of birth) of every person
        total = people + uncertified + homonyms + unknown
        for index in range(total):
            nir, birth = synthetic_nir(index), synthetic_birth(index)
            self.persons.append((nir, birth))
            pair = (nir_complet(nir), birth)
            if index < people + uncertified:
                self.people[pair] = profile(index, certifiee=index < people)
            elif index < people + uncertified + homonyms:
                self.homonyms.add(pair)
        self.jetons: dict[str, Profile] = {}
        self.behaviour = Behaviour(**behaviour)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.calls: Counter = Counter()
        self.per_person: Counter = Counter()  # recherche calls per NIR
        self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.bad_requests: list[str] = []
        self.agent_headers_seen: set[tuple[str, ...]] = set()
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
            **extra,
        }

    def index_of(self, nir13: str, birth: str) -> int:
        return self.persons.index((nir13, birth))

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

    def new_jeton(self, person: Profile) -> str:
        jeton = f"{self.rng.randrange(10**9)}#J/{self.rng.randrange(10**9)}+u=="
        with self.lock:
            self.jetons[jeton] = person
        return jeton

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                return None

            def _send(self, status: int, body: object = None, headers: dict | None = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self._raw(status, data, headers)

            def _raw(self, status: int, data: bytes, headers: dict | None = None) -> None:
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
                    if parse_qs(parts.query).get("realm") != ["/agent"]:
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
                if parts.path != RECHERCHE:
                    return self._send(404)
                if not self._resource_gate("recherche"):
                    return None
                try:
                    query = json.loads(body or b"{}")
                    nir, birth = query["nir"], query["dateNaissance"]
                except (ValueError, KeyError, TypeError):
                    nir = birth = ""
                if not isinstance(nir, str) or len(nir) != 15 or len(birth) != 10:
                    standin.bad_requests.append("recherche")
                    return self._send(
                        400,
                        {
                            "codeRetour": "R997",
                            "message": "Une erreur de validation s'est produite",
                            "jetonUsager": None,
                            "topIdentiteCertifiee": None,
                        },
                    )
                with standin.lock:
                    standin.per_person[nir] += 1
                found = standin.people.get((nir, birth))
                if found is not None and standin.behaviour.malformed.get(found.index) == "jeton":
                    return self._send(
                        200,
                        {"codeRetour": "S001", "jetonUsager": 12345, "topIdentiteCertifiee": "O"},
                    )
                if found is not None:
                    return self._send(
                        200,
                        {
                            "codeRetour": "S001",
                            "message": "Approchant trouvé",
                            "jetonUsager": standin.new_jeton(found),
                            "topIdentiteCertifiee": "O" if found.certifiee else "N",
                        },
                    )
                code, message = (
                    ("S003", "Plusieurs usagers trouvés")
                    if (nir, birth) in standin.homonyms
                    else ("S002", "Aucun approchant trouvé")
                )
                return self._send(
                    200,
                    {
                        "codeRetour": code,
                        "message": message,
                        "jetonUsager": None,
                        "topIdentiteCertifiee": None,
                    },
                )

            def _resource_gate(self, name: str) -> bool:
                """Agent headers, token, throttling, failures and delay of every resource."""
                standin.calls[name] += 1
                values = tuple(self.headers.get(h) for h in AGENT_HEADERS)
                if any(v is None for v in values):
                    self._send(302, None, {"Location": "/connexion"})
                    return False
                standin.agent_headers_seen.add(values)
                if any(not v.strip() for v in values):
                    self._send(401, {"message": "agent non renseigné"})
                    return False
                if name in standin.behaviour.forbidden:
                    self._send(403, {"codeRetour": "R001", "message": "Accès non autorisé"})
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
                    self._send(503, {"codeRetour": "R999", "message": "Service indisponible"})
                    return False
                if standin.behaviour.delay:
                    time.sleep(standin.behaviour.delay)
                return True

            def _get(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/_stats":  # for a benchmark running the stand-in apart
                    with standin.lock:
                        return self._send(200, standin.stats())
                name = RESOURCES.get(parts.path)
                if name is None:  # the old invented paths included
                    return self._send(404)
                if not self._resource_gate(name):
                    return None
                person = standin.jetons.get(self.headers.get("ft-jeton-usager") or "")
                if person is None:
                    return self._send(
                        400, {"codeRetour": "R997", "message": "jeton usager invalide"}
                    )
                if name == "orientation" and parse_qs(parts.query).get("etatOrientation") != [
                    "OUVERT"
                ]:
                    standin.bad_requests.append("orientation")
                if name == "contrat" and person.index in standin.behaviour.trickle:
                    return self._trickle(json.dumps(person.contrat).encode())
                if name == "contrat" and person.index in standin.behaviour.oversized:
                    try:
                        return self._raw(200, b'{"m_contrat": {"x": "' + b"a" * (5 << 20) + b'"}}')
                    except OSError:  # the client refused the body: that is the point
                        return None
                kind = standin.behaviour.malformed.get(person.index)
                if name == "diagnostic" and kind == "tronque":
                    return self._raw(200, json.dumps(person.diagnostic).encode()[:40])
                if name == "orientation" and kind == "forme":
                    return self._send(200, {"orientations": "inattendu"})
                answer = {
                    "contrat": person.contrat,
                    "diagnostic": person.diagnostic,
                    "orientation": person.orientations,
                }[name]
                if answer is None:
                    self.send_response(204)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return self._send(200, answer)

            def _trickle(self, data: bytes) -> None:
                """The body one byte every 0.2 s: each read is quick, the whole is not."""
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    for i in range(len(data)):
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:  # the client gave up: that is the point
                    return None

        return Handler


def serve(people: int, unknown: int, delay: float, ready) -> None:
    """Run a stand-in until killed (a benchmark's separate process): `ready` receives its
    URL and persons."""
    with StandIn(people=people, unknown=unknown, delay=delay) as api:
        ready.send((api.url, api.persons))
        threading.Event().wait()
