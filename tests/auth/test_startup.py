"""`graphql-api serve` refuses to start on authentication settings that cannot work."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.auth.test_settings import CLIENT_CREDENTIALS
from tests.live_server import free_port


def _serve(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    names = [name for name in os.environ if name.startswith(("AZURE_", "AUTH_", "PARTNER_"))]
    env = {key: value for key, value in os.environ.items() if key not in names}
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "-m", "graphql_api", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_without_the_client_secret_exits_naming_it() -> None:
    env = {key: value for key, value in CLIENT_CREDENTIALS.items() if key != "AZURE_CLIENT_SECRET"}
    result = _serve(env)
    assert result.returncode == 2
    assert "AZURE_CLIENT_SECRET" in result.stderr


def test_serve_refusal_never_prints_the_secret() -> None:
    env = {key: value for key, value in CLIENT_CREDENTIALS.items() if key != "AUTH_JWKS_URL"}
    result = _serve(env)
    assert (result.returncode, "AUTH_JWKS_URL" in result.stderr) == (2, True)
    assert CLIENT_CREDENTIALS["AZURE_CLIENT_SECRET"] not in result.stderr + result.stdout
