"""The Dockerfile: its shape, its agreement with the README, and its build steps run in a venv.

No Docker engine runs here, so the builder stage's RUN commands are executed by bash with the
image's directories moved under a temporary directory, and the result is served the way the
runtime stage serves it (its PATH and HEALTHCHECK command).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from graphql_api.graphiql import STATIC_PATH
from graphql_api.graphiql.assets import ASSET_FILES
from tests.live_server import free_port
from tests.node_tools import ROOT

DOCKERFILE = ROOT / "Dockerfile"
README = ROOT / "README.md"
# The builder's ENV paths; the recipe test moves them under a temporary directory.
PATH_VARIABLES = ("APP_VENV", "NODE_VENV")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, keyword: str) -> list[str]:
        return [args for key, args in self.instructions if key == keyword]


def _stages() -> list[Stage]:
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    stages: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        if keyword == "FROM":
            base, _, name = args.partition(" AS ")
            stages.append(Stage(base.strip(), name.strip() or None))
        else:
            stages[-1].instructions.append((keyword, args.strip()))
    return stages


def _readme_docker_steps() -> list[str]:
    section = README.read_text().split("\n## Docker\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n# build steps\n(.*?)```", section, re.DOTALL)
    assert block is not None, "README's Docker section lists the build steps"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_image_is_built_in_two_stages_from_python_311() -> None:
    builder, runtime = _stages()
    assert builder.name == "builder"
    assert builder.base == runtime.base == "python:3.11-slim"


def test_runtime_stage_copies_only_the_venv_from_the_builder() -> None:
    runtime = _stages()[1]
    copies = runtime.arguments("COPY")
    # GraphiQL's assets are inside the venv: the wheel carries them.
    assert copies == ["--from=builder /opt/graphql-api /opt/graphql-api"]


def test_runtime_runs_as_a_non_root_user() -> None:
    (user,) = _stages()[1].arguments("USER")
    assert user not in ("root", "0")
    (created,) = _stages()[1].arguments("RUN")
    assert "useradd --system --uid 10001 --user-group" in created
    assert created.split()[-1] == user


def test_healthcheck_asks_healthz() -> None:
    (healthcheck,) = _stages()[1].arguments("HEALTHCHECK")
    assert "http://127.0.0.1:8000/healthz" in healthcheck


def test_container_serves_on_all_interfaces() -> None:
    (command,) = _stages()[1].arguments("CMD")
    assert json.loads(command) == ["graphql-api", "serve", "--host", "0.0.0.0"]


def test_build_steps_are_the_ones_the_readme_documents() -> None:
    assert _stages()[0].arguments("RUN") == _readme_docker_steps()


def test_npm_packages_are_installed_before_the_wheel_is_built() -> None:
    # The wheel build copies GraphiQL's assets from node_modules, so npm ci must come first.
    runs = _stages()[0].arguments("RUN")
    (npm_ci,) = [index for index, run in enumerate(runs) if "npm ci" in run]
    (wheel,) = [index for index, run in enumerate(runs) if "pip\" install --quiet ." in run]
    assert npm_ci < wheel


def test_dockerignore_lets_in_what_the_builder_copies() -> None:
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    copied = {
        source
        for args in _stages()[0].arguments("COPY")
        for source in args.split()[:-1]
    }
    assert copied == allowed


def _recipe_environment(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in PATH_VARIABLES:
        env[name] = str(tmp / name.lower())
    # `python` in the RUN lines is the image's Python 3.11; here, the one running the tests.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def test_build_steps_run_in_a_venv_and_the_result_serves_graphiql(tmp_path: Path) -> None:
    if shutil.which("cp") is None:  # pragma: no cover - coreutils
        pytest.skip("cp is not available")
    builder = _stages()[0]
    context = tmp_path / "src"
    context.mkdir()
    for args in builder.arguments("COPY"):
        *sources, destination = args.split()
        for source in sources:
            target = context / (source if destination.endswith("/") else destination)
            if (ROOT / source).is_dir():
                shutil.copytree(
                    ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                shutil.copy2(ROOT / source, target)
    env = _recipe_environment(tmp_path)
    for command in builder.arguments("RUN"):
        finished = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=context,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert finished.returncode == 0, f"{command}\n{finished.stdout}\n{finished.stderr}"

    runtime = {**env, "PATH": f"{env['APP_VENV']}/bin{os.pathsep}{env['PATH']}"}
    runtime.pop("PARTNER_CENTER_URL", None)
    runtime.pop("GRAPHIQL_ASSETS_DIR", None)
    port = free_port()
    # The image's CMD, on a free port rather than 8000 (tests must not collide).
    serve_command = [*json.loads(_stages()[1].arguments("CMD")[0]), "--port", str(port)]
    serve_command[serve_command.index("0.0.0.0")] = "127.0.0.1"
    process = subprocess.Popen(
        serve_command,
        cwd=tmp_path,
        env=runtime,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        healthcheck = json.loads(_stages()[1].arguments("HEALTHCHECK")[0].split("CMD", 1)[1])
        healthcheck = [part.replace(":8000/", f":{port}/") for part in healthcheck]
        deadline = time.monotonic() + 60
        while subprocess.run(healthcheck, env=runtime, capture_output=True, check=False).returncode:
            assert process.poll() is None, "the installed service exited"
            assert time.monotonic() < deadline, "the installed service did not become healthy"
            time.sleep(0.3)
        page = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"})
        assets = [httpx.get(f"{base}{STATIC_PATH}/{name}") for name in ASSET_FILES]
        listed = httpx.post(
            f"{base}/graphql",
            json={"query": "{ customers(first: 1) { nodes { id } } }"},
            headers={"Authorization": "Bearer docker-recipe"},
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert page.status_code == 200
    assert [asset.status_code for asset in assets] == [200] * len(ASSET_FILES)
    assert listed.json()["data"]["customers"]["nodes"]
    # The installed service runs from the venv, not from this checkout.
    assert (Path(env["APP_VENV"]) / "bin" / "graphql-api").is_file()
    # The image holds exactly the assets GraphiQL serves, inside the installed package.
    (vendor,) = Path(env["APP_VENV"]).glob("lib/python3*/site-packages/graphql_api/graphiql/vendor")
    carried = sorted(str(path.relative_to(vendor)) for path in vendor.rglob("*") if path.is_file())
    assert carried == sorted(ASSET_FILES.values())
