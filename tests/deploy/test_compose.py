"""deploy/compose.yaml and the files it mounts: valid, consistent, and true to the service.

`docker-compose config` (Debian's package) validates and resolves the file with no engine;
test_compose_topology.py runs the same topology as local processes.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from graphql_api.cli import _parser as cli_parser
from graphql_api.config import Settings
from graphql_api.graphiql import STATIC_PATH
from tests.deploy.kit import (
    DEPLOY,
    GRAFANA,
    PROMETHEUS,
    PROMTOOL,
    compose_config,
    compose_services,
    load,
    service_variables,
    system_tool,
)

A_CURSOR_SECRET = "compose-test-cursor-secret-0123456789"
REPLICAS = ("graphql-api-1", "graphql-api-2")
SERVICE_PORT = cli_parser().parse_args(["serve"]).port


# Resolved once: each `docker-compose config` run takes a second or two.
@functools.cache
def _services() -> dict[str, Any]:
    return compose_services({"CURSOR_SECRET": A_CURSOR_SECRET})


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host path of a resolved service's bind mounts."""
    mounts: dict[str, str] = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            host, container = volume.split(":")[:2]
        else:
            host, container = volume["source"], volume["target"]
        mounts[container] = host
    return mounts


def test_the_stack_holds_two_replicas_redis_a_collector_jaeger_and_prometheus() -> None:
    services = _services()
    assert set(REPLICAS) <= set(services)
    for name in ("redis", "otel-collector", "jaeger", "prometheus", "grafana", "load-balancer"):
        assert name in services
    # Both replicas are the image the Dockerfile at the repository's root builds.
    for name in REPLICAS:
        assert services[name]["build"]["context"] == str(DEPLOY.parent)
        assert services[name]["image"] == services[REPLICAS[0]]["image"]


def test_without_a_cursor_secret_the_stack_refuses_to_start() -> None:
    resolved = compose_config({})
    assert resolved.returncode != 0
    assert "CURSOR_SECRET" in resolved.stderr


def test_replicas_share_one_environment_the_service_accepts() -> None:
    services = _services()
    first, second = (services[name]["environment"] for name in REPLICAS)
    assert first == second
    assert first["CURSOR_SECRET"] == A_CURSOR_SECRET
    unknown = set(first) - service_variables()
    assert not unknown, f"no such setting: {sorted(unknown)}"
    settings = Settings.from_env(first)
    assert settings.schema.cursor_key == A_CURSOR_SECRET.encode()
    assert not settings.use_embedded_emulator
    # One Redis for both: the cache and the partner's call budget are shared.
    assert urlsplit(first["REDIS_URL"]).hostname == "redis"
    assert urlsplit(first["OTEL_EXPORTER_OTLP_ENDPOINT"]).hostname == "otel-collector"
    assert urlsplit(first["PARTNER_CENTER_URL"]).hostname == "emulator"


def test_operators_point_the_replicas_at_partner_center_from_the_environment() -> None:
    services = compose_services(
        {
            "CURSOR_SECRET": A_CURSOR_SECRET,
            "PARTNER_CENTER_URL": "https://api.partnercenter.microsoft.com",
        }
    )
    for name in REPLICAS:
        url = services[name]["environment"]["PARTNER_CENTER_URL"]
        assert url == "https://api.partnercenter.microsoft.com"


def test_replicas_stop_gracefully_and_write_only_temporary_files() -> None:
    services = _services()
    for name in REPLICAS:
        service = services[name]
        shutdown = Settings.from_env(service["environment"]).server.shutdown_timeout
        grace = re.fullmatch(r"(\d+)s", service["stop_grace_period"])
        assert grace is not None
        assert int(grace.group(1)) > shutdown
        assert service["read_only"] is True
        assert service["tmpfs"] == ["/tmp"]


def test_prometheus_scrapes_each_replica_and_loads_the_alert_rules(tmp_path: Path) -> None:
    config = load(DEPLOY / "prometheus.yml")
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "graphql-api"  # the job the alert rules name
    assert job["metrics_path"] == "/metrics"
    targets = [target for group in job["static_configs"] for target in group["targets"]]
    assert sorted(targets) == [f"{name}:{SERVICE_PORT}" for name in REPLICAS]
    # The container sees both files side by side, as the config's relative rule path expects.
    mounts = _mounts(_services()["prometheus"])
    assert mounts["/etc/prometheus/prometheus.yml"] == str(DEPLOY / "prometheus.yml")
    for rule_file in config["rule_files"]:
        assert mounts[f"/etc/prometheus/{rule_file}"] == str(PROMETHEUS / rule_file)
    # Checked as the container sees it: the config and its rule files in one directory.
    etc = tmp_path / "prometheus"
    etc.mkdir()
    shutil.copy(DEPLOY / "prometheus.yml", etc / "prometheus.yml")
    for rule_file in config["rule_files"]:
        shutil.copy(PROMETHEUS / rule_file, etc / rule_file)
    promtool = system_tool(PROMTOOL, "prometheus")
    checked = subprocess.run(
        [str(promtool), "check", "config", str(etc / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_load_balancer_publishes_graphql_and_never_metrics() -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    servers = re.findall(r"^\s*server\s+([^;\s]+);", conf, re.M)
    assert sorted(servers) == [f"{name}:{SERVICE_PORT}" for name in REPLICAS]
    locations = re.findall(r"^\s*location\s+([^{]+?)\s*\{", conf, re.M)
    assert sorted(locations) == sorted(["= /graphql", f"{STATIC_PATH}/", "/"])
    fallback = conf.split("location / {", 1)[1].split("}", 1)[0]
    assert "return 404" in fallback
    services = _services()
    assert _mounts(services["load-balancer"])["/etc/nginx/nginx.conf"] == str(
        DEPLOY / "nginx.conf"
    )
    # Only the load balancer, Jaeger, Prometheus and Grafana publish ports; replicas do not.
    for name in REPLICAS:
        assert "ports" not in services[name]


def test_the_collector_listens_where_the_replicas_send_and_exports_to_jaeger() -> None:
    services = _services()
    collector = load(DEPLOY / "otel-collector.yaml")
    mounts = _mounts(services["otel-collector"])
    (config_path,) = [
        arg.split("=", 1)[1] for arg in services["otel-collector"]["command"]
        if arg.startswith("--config=")
    ]
    assert mounts[config_path] == str(DEPLOY / "otel-collector.yaml")
    endpoint = urlsplit(services[REPLICAS[0]]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"])
    http_receiver = collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert http_receiver.rsplit(":", 1)[1] == str(endpoint.port)
    (pipeline,) = collector["service"]["pipelines"].values()
    assert pipeline["receivers"] == ["otlp"]
    (exporter,) = pipeline["exporters"]
    assert collector["exporters"][exporter]["endpoint"].split(":")[0] == "jaeger"


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard() -> None:
    services = _services()
    mounts = _mounts(services["grafana"])
    provider = load(GRAFANA / "provisioning" / "dashboards" / "graphql-api.yaml")
    (dashboards,) = provider["providers"]
    dashboard_dir = dashboards["options"]["path"]
    assert mounts[f"{dashboard_dir}/graphql-api.json"] == str(GRAFANA / "graphql-api.json")
    datasource = load(GRAFANA / "provisioning" / "datasources" / "prometheus.yaml")
    (prometheus,) = datasource["datasources"]
    assert urlsplit(prometheus["url"]).hostname == "prometheus"
    # Every panel and query reads that datasource, by the uid it is provisioned with.
    dashboard = json.loads((GRAFANA / "graphql-api.json").read_text())
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in panels:
        assert panel["targets"], panel["title"]
        for source in (panel["datasource"], *(t["datasource"] for t in panel["targets"])):
            assert source == {"type": "prometheus", "uid": prometheus["uid"]}
