"""A small OpenID Connect provider for the browser tests, on 127.0.0.1 (Starlette + uvicorn
in a thread, ID tokens signed RS256 with joserfc): discovery, authorize (a form asking
which identity to assert), token (authorization code with PKCE S256, client secret
checked) and JWKS. `mode` makes the next ID token expired or signed by a key the JWKS does
not publish, `claims` changes or leaves out some of its claims, so that the test can check
the app refuses them."""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.routing import Route

CLIENT_ID = "pilotage-rsa"
CLIENT_SECRET = secrets.token_urlsafe(24)


@dataclass
class Provider:
    port: int
    mode: str = "valide"  # or "expire", "mauvaise_signature"
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    rogue: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"})
    )
    codes: dict[str, dict] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)  # e-mails of the ID tokens issued
    claims: dict = field(default_factory=dict)  # claims of the next tokens: set, or None: left out

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def id_token(self, email: str, nonce: str | None) -> str:
        now = int(time.time())
        expires = now - 3600 if self.mode == "expire" else now + 300  # beyond any leeway
        claims = {
            "iss": self.issuer, "sub": hashlib.sha256(email.encode()).hexdigest(),
            "aud": CLIENT_ID, "iat": now, "exp": expires, "email": email,
            "email_verified": True, "name": email.split("@")[0],
        }  # fmt: skip
        if nonce:
            claims["nonce"] = nonce
        claims.update(self.claims)
        claims = {k: v for k, v in claims.items() if v is not None}
        key = self.rogue if self.mode == "mauvaise_signature" else self.key
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def _app(provider: Provider) -> Starlette:
    async def discovery(_: Request) -> JSONResponse:
        base = provider.issuer
        return JSONResponse(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            }
        )

    async def authorize(request: Request):
        if request.method == "GET":
            fields = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in request.query_params.items()
            )
            return HTMLResponse(
                f'<form method="post"><label>Identité <input name="identite"></label>'
                f'{fields}<button type="submit">Valider</button></form>'
            )
        form = await request.form()
        if form.get("client_id") != CLIENT_ID:
            return JSONResponse({"error": "unauthorized_client"}, status_code=400)
        code = secrets.token_urlsafe(16)
        provider.codes[code] = dict(form)
        query = urlencode({"code": code, "state": form.get("state", "")})
        return RedirectResponse(f"{form['redirect_uri']}?{query}", status_code=303)

    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {basic}":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = provider.codes.pop(str(form.get("code")), None)
        if grant is None or form.get("redirect_uri") != grant.get("redirect_uri"):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != grant.get("code_challenge"):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        email = str(grant["identite"])
        provider.issued.append(email)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": provider.id_token(email, grant.get("nonce")),
            }
        )

    async def jwks(_: Request) -> JSONResponse:
        return JSONResponse({"keys": [provider.key.as_dict(private=False)]})

    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/authorize", authorize, methods=["GET", "POST"]),
            Route("/token", token, methods=["POST"]),
            Route("/jwks", jwks),
        ]
    )


def start() -> tuple[Provider, uvicorn.Server]:
    """The provider, served in a daemon thread; call `server.should_exit = True` to stop."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = Provider(port)
    config = uvicorn.Config(_app(provider), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return provider, server
