"""The test suite's OpenID Connect provider: the certified `oidc-provider` package (Node), run on loopback.

``npm ci`` runs here when node_modules is missing. Without Node the OpenID tests are skipped, except under
CI=true, where they fail. Each start writes fresh signing keys (an RSA and an EC P-256 key, new key ids) to the
key file the provider reads, so ``restart()`` on the same port is a key rotation.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

HERE = Path(__file__).parent
AUDIENCE = "api://lif-northshire"
SECRET = "test-client-secret-0123456789abcdef"
_generation = itertools.count(1)


def require_node() -> str:
    """The node executable, after `npm ci` if needed; skips (or, under CI, fails) without Node."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        message = "Node.js 20+ and npm are needed to run the OpenID Connect provider the tests sign in with"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    if not (HERE / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True, timeout=300)
    return node


class Provider:
    """One provider process: its issuer, its clients (each with extra token claims) and its current keys."""

    def __init__(self, workdir: Path, clients: dict[str, dict[str, Any]], *, ttl: dict[str, int], alg: dict[str, str]):
        self.workdir = workdir
        self.clients = clients
        self.ttl = ttl
        self.alg = alg
        self.port = 0
        self.issuer = ""
        self.token_endpoint = ""
        self.public_keys: list[dict[str, Any]] = []
        self._process: subprocess.Popen[str] | None = None

    def _write_keys(self) -> Path:
        generation = next(_generation)
        rsa_jwk = json.loads(RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
        ec_jwk = json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1())))
        rsa_jwk.update(kid=f"rsa-{generation}", use="sig", alg="RS256")
        ec_jwk.update(kid=f"ec-{generation}", use="sig", alg="ES256")
        path = self.workdir / "jwks.json"
        path.write_text(json.dumps({"keys": [rsa_jwk, ec_jwk]}))
        private = {"d", "p", "q", "dp", "dq", "qi"}
        self.public_keys = [{k: v for k, v in jwk.items() if k not in private} for jwk in (rsa_jwk, ec_jwk)]
        return path

    def start(self) -> None:
        """Start on ``self.port`` (any free port the first time) with fresh keys; wait until it serves."""
        config = self.workdir / "config.json"
        config.write_text(
            json.dumps(
                {
                    "port": self.port,
                    "jwks_file": str(self._write_keys()),
                    "default_resource": AUDIENCE,
                    "clients": [{"client_id": cid, "client_secret": SECRET} for cid in self.clients],
                    "claims": self.clients,
                    "ttl": self.ttl,
                    "alg": self.alg,
                }
            )
        )
        with (self.workdir / "provider.log").open("a") as log:
            process = subprocess.Popen(
                [require_node(), str(HERE / "server.mjs"), str(config)],
                cwd=HERE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        self._process = process
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(process.stdout.readline() if process.stdout else ""))
        reader.start()
        reader.join(timeout=30)
        if not ready or not ready[0].startswith("ready "):
            self.stop()
            raise RuntimeError(f"the OpenID provider did not start; see {self.workdir / 'provider.log'}")
        self.issuer = ready[0].split()[1]
        self.port = int(self.issuer.rsplit(":", 1)[1])
        discovery = httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=10).json()
        self.token_endpoint = str(discovery["token_endpoint"])

    def restart(self) -> None:
        """Stop and start again on the same port and issuer with new keys: a key rotation."""
        self.stop()
        self.start()

    def stop(self) -> None:
        """End the process."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def token(self, client_id: str, *, resource: str = AUDIENCE) -> str:
        """An access token (a JWT) from the provider's token endpoint, by client credentials."""
        response = httpx.post(
            self.token_endpoint,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": SECRET,
                "scope": "api",
                "resource": resource,
            },
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])
