"""The files of deploy/: systemd units checked by `systemd-analyze verify` (and their
exposure score), the nginx example checked by `nginx -t`, then run in front of a local
upstream to prove TLS, the WebSocket upgrade and the X-Forwarded-* headers pass.

`make test` installs Debian's systemd and nginx packages when they are missing (as root).
What only a real server shows (the units started by systemd as the `pilotage` user, a
real certificate, ProConnect) is listed in the README's « Mise en production »."""

from __future__ import annotations

import json
import re
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.local_servers import free_port, self_signed

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
INSTALL_DIR = "/opt/pilotage-rsa"


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"{name} introuvable : `make test` l'installe (apt-get, en root).")
    return path


@pytest.fixture
def rendered_units(tmp_path) -> list[Path]:
    """The units with the install directory pointed at this checkout (verify checks that
    ExecStart's program exists)."""
    out = []
    for unit in UNITS:
        target = tmp_path / unit.name
        target.write_text(unit.read_text("utf-8").replace(INSTALL_DIR, str(REPO)), "utf-8")
        out.append(target)
    return out


def test_systemd_units_verify(rendered_units) -> None:
    result = subprocess.run(
        [_tool("systemd-analyze"), "verify", *map(str, rendered_units)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # unknown keys are only warned about


@pytest.mark.parametrize("unit", [u.name for u in UNITS if u.suffix == ".service"], ids=lambda n: n)
def test_services_are_confined(unit, rendered_units) -> None:
    text = (DEPLOY / "systemd" / unit).read_text("utf-8")
    for directive in (
        "User=pilotage", "UMask=0077", "ProtectSystem=strict", "PrivateTmp=yes",
        "NoNewPrivileges=yes", "ProtectHome=yes", "CapabilityBoundingSet=\n",
    ):  # fmt: skip
        assert directive in text, directive
    result = subprocess.run(
        [
            _tool("systemd-analyze"),
            "security",
            "--offline=yes",
            str(rendered_units[0].parent / unit),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    score = float(re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout).group(1))
    assert score <= 2.0, result.stdout  # systemd calls up to 2.0 « OK »


def test_timer_runs_arrivees_once() -> None:
    timer = (DEPLOY / "systemd" / "pilotage-rsa-arrivees.timer").read_text("utf-8")
    assert "Unit=pilotage-rsa-arrivees.service" in timer and "OnCalendar=" in timer
    service = (DEPLOY / "systemd" / "pilotage-rsa-arrivees.service").read_text("utf-8")
    assert "-m pipelines arrivees --once" in service and "Type=oneshot" in service
    # after each pass, the server is asked where its caches stand, which starts their
    # filling after a load (tests/test_served_app.py runs that command against a server)
    assert "ExecStartPost=/opt/pilotage-rsa/.venv/bin/python -m dashboard.readiness" in service


class _Echo(socketserver.StreamRequestHandler):
    """An upstream that answers with the headers it received: 101 to a WebSocket upgrade
    (as Streamlit's /_stcore/stream does), 200 otherwise."""

    def handle(self) -> None:
        lines = []
        while (line := self.rfile.readline().decode("latin-1").rstrip("\r\n")) != "":
            lines.append(line)
        headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
        seen = json.dumps({"request": lines[0], **headers})
        if headers.get("upgrade", "").lower() == "websocket":
            head = (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            )
            self.wfile.write(f"{head}X-Seen: {seen}\r\n\r\n".encode())
        else:
            body = seen.encode()
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )


def _nginx_config(tmp_path: Path, https_port: int, http_port: int, upstream: int) -> Path:
    cert, key = self_signed(tmp_path / "tls")
    site = (DEPLOY / "nginx" / "pilotage-rsa.conf").read_text("utf-8")
    site = re.sub(r"^\s*listen \[::\].*\n", "", site, flags=re.M)  # no IPv6 in CI containers
    site = site.replace("listen 443 ", f"listen 127.0.0.1:{https_port} ")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("127.0.0.1:8501", f"127.0.0.1:{upstream}")
    site = site.replace("/etc/ssl/pilotage-rsa/fullchain.pem", str(cert))
    site = site.replace("/etc/ssl/pilotage-rsa/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site, "utf-8")
    main = tmp_path / "nginx.conf"
    temp = tmp_path / "temp"
    temp.mkdir()
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {temp}/body;\n"
        f"  proxy_temp_path {temp}/proxy;\n  include {tmp_path}/site.conf;\n}}\n",
        "utf-8",
    )
    return main


def _https(port: int, request: str, ca: Path) -> str:
    context = ssl.create_default_context(cafile=str(ca))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(request.encode())
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and data.startswith(b"HTTP/1.1 101"):
                break
    return data.decode("latin-1")


def test_nginx_example_proxies_tls_websocket_and_forwarded_headers(tmp_path) -> None:
    nginx = _tool("nginx")
    upstream = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    https_port, http_port = free_port(), free_port()
    config = _nginx_config(tmp_path, https_port, http_port, upstream.server_address[1])
    check = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(config)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    server = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(config), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        ca = tmp_path / "tls" / "cert.pem"
        plain = _https(
            https_port, "GET /_stcore/health HTTP/1.1\r\nHost: pilotage.exemple.fr\r\n"
            "Connection: close\r\n\r\n", ca,
        )  # fmt: skip
        assert plain.startswith("HTTP/1.1 200"), plain
        assert "Strict-Transport-Security" in plain
        seen = json.loads(plain.split("\r\n\r\n", 1)[1])
        assert seen["x-forwarded-proto"] == "https" and seen["x-forwarded-for"] == "127.0.0.1"
        assert seen["x-forwarded-host"] == "pilotage.exemple.fr"
        upgrade = _https(
            https_port,
            "GET /_stcore/stream HTTP/1.1\r\nHost: pilotage.exemple.fr\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
            ca,
        )
        assert upgrade.startswith("HTTP/1.1 101"), upgrade
        forwarded = json.loads(re.search(r"X-Seen: (.*)\r\n", upgrade).group(1))
        assert forwarded["upgrade"] == "websocket" and forwarded["connection"] == "upgrade"
        with socket.create_connection(("127.0.0.1", http_port), timeout=10) as s:
            s.sendall(
                b"GET /qualite HTTP/1.1\r\nHost: pilotage.exemple.fr\r\nConnection: close\r\n\r\n"
            )
            redirect = s.recv(4096).decode("latin-1")
        assert redirect.startswith("HTTP/1.1 301")
        assert "Location: https://pilotage.exemple.fr/qualite" in redirect
    finally:
        server.terminate()
        server.wait(timeout=20)
        upstream.shutdown()
        upstream.server_close()


# Variables the product reads that a deployment does not set, and why.
NOT_DEPLOYED = {
    "PILOTAGE_ARGON2_COUT": "the test suite's weak password cost, never a server's",
    "PILOTAGE_DEBUG": "a traceback at a terminal, for a developer",
    "PILOTAGE_PRECHARGEMENT": "set by dashboard/serve.py itself for its own process, never by hand",
    "PILOTAGE_SECRET_KEY": "the key as text, for development: a server has PILOTAGE_KEY_FILE",
    "PILOTAGE_SMTP_PASSWORD": "a server has PILOTAGE_SMTP_PASSWORD_FILE (a credential)",
    "PILOTAGE_SECRET_SESSION": "a server's is created 0600 in the state directory",
}
READERS = [REPO / "app.py", *(REPO / d for d in ("pipelines", "dashboard", "pages"))]


def _variables_read() -> set[str]:
    """Every PILOTAGE_* name written in the product's code (a prefix such as
    "PILOTAGE_SMTP_" completed at run time is left out)."""
    files = [p for r in READERS for p in ([r] if r.is_file() else r.rglob("*.py"))]
    found = {m for p in files for m in re.findall(r"PILOTAGE_[A-Z0-9_]+", p.read_text("utf-8"))}
    return {name for name in found if not name.endswith("_")}


def test_every_setting_is_in_the_deploy_example() -> None:
    """A setting the product reads is set or shown (commented, with its default) in the
    env example or a unit of deploy/: a new one missing there fails here."""
    deployed = "\n".join(p.read_text("utf-8") for p in DEPLOY.rglob("*") if p.is_file())
    named = set(re.findall(r"\bPILOTAGE_[A-Z0-9_]+", deployed))
    read = _variables_read()
    assert len(read) >= 30, read  # the scan finds the product's settings
    assert sorted(read - named - set(NOT_DEPLOYED)) == []
    assert sorted(set(NOT_DEPLOYED) - read) == []  # no stale exemption
