"""deploy/kubernetes/: valid against the Kubernetes schemas, and true to the service's settings.

kubernetes-validate bundles the schemas of every Kubernetes release, so this runs offline.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
from starlette.routing import Route

from graphql_api.cli import _parser as cli_parser
from graphql_api.config import ConfigError, Settings
from graphql_api.graphiql import STATIC_PATH
from graphql_api.web.app import create_app
from tests.deploy.kit import KUBERNETES, load, load_all, service_variables
from tests.node_tools import ROOT

# The oldest release the manifests promise to fit (every API they use is GA there), and the
# newest the bundled schemas know.
KUBERNETES_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
# A value that passes the service's own check of CURSOR_SECRET.
A_CURSOR_SECRET = "0123456789abcdef0123456789abcdef"


def _manifest_files() -> list[Path]:
    return sorted(path for path in KUBERNETES.glob("*.yaml") if path.name != "kustomization.yaml")


def _resources() -> list[dict[str, Any]]:
    return [resource for path in _manifest_files() for resource in load_all(path)]


def _one(kind: str, name: str = "graphql-api") -> dict[str, Any]:
    (found,) = [
        r for r in _resources() if r["kind"] == kind and r["metadata"]["name"] == name
    ]
    return found


def _deployment() -> dict[str, Any]:
    return _one("Deployment")


def _container() -> dict[str, Any]:
    (container,) = _deployment()["spec"]["template"]["spec"]["containers"]
    found: dict[str, Any] = container
    return found


def _config() -> dict[str, str]:
    data: dict[str, str] = _one("ConfigMap")["data"]
    return data


def _secret() -> dict[str, str]:
    data: dict[str, str] = _one("Secret")["stringData"]
    return data


def _dockerfile_runtime() -> str:
    return (ROOT / "Dockerfile").read_text().rsplit("\nFROM ", 1)[1]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("path", _manifest_files(), ids=lambda path: path.name)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(path: Path, version: str) -> None:
    for resource in load_all(path):
        kubernetes_validate.validate(resource, version, strict=True)


def test_the_validator_refuses_a_misspelt_field() -> None:
    # Proves the schemas are really consulted (offline), not silently skipped.
    broken = copy.deepcopy(_deployment())
    broken["spec"]["replica"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_kustomization_lists_every_manifest() -> None:
    listed = load(KUBERNETES / "kustomization.yaml")["resources"]
    assert sorted(listed) == [path.name for path in _manifest_files()]


def test_deployment_runs_at_least_two_replicas_and_the_autoscaler_keeps_them() -> None:
    hpa = _one("HorizontalPodAutoscaler")
    assert _deployment()["spec"]["replicas"] >= 2
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "graphql-api",
    }
    # A rolling update never drops below the replicas it had.
    assert _deployment()["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_the_container_serves_the_images_command_on_the_port_it_declares() -> None:
    container = _container()
    cmd = re.search(r"^CMD (.*)$", _dockerfile_runtime(), re.M)
    assert cmd is not None
    (port,) = container["ports"]
    assert container["command"] == [*json.loads(cmd.group(1)), "--port", str(port["containerPort"])]
    # The same port as `graphql-api serve`'s default and the image's EXPOSE.
    assert port["containerPort"] == cli_parser().parse_args(["serve"]).port
    assert f"\nEXPOSE {port['containerPort']}\n" in _dockerfile_runtime()


def test_probes_ask_the_services_own_health_and_readiness_routes() -> None:
    container = _container()
    port_names = {port["name"] for port in container["ports"]}
    app = create_app(Settings.from_env({"PARTNER_CENTER_URL": "http://127.0.0.1:9"}))
    routes = {route.path for route in app.routes if isinstance(route, Route)}
    liveness = container["livenessProbe"]["httpGet"]
    readiness = container["readinessProbe"]["httpGet"]
    startup = container["startupProbe"]["httpGet"]
    assert liveness["path"] == startup["path"] == "/healthz"
    assert readiness["path"] == "/readyz"
    assert {liveness["path"], readiness["path"]} <= routes
    assert {liveness["port"], readiness["port"], startup["port"]} <= port_names
    # The kubelet waits longer than /readyz's own bound on Partner Center.
    readyz_timeout = Settings.from_env(_settings_env()).server.readiness_timeout
    assert container["readinessProbe"]["timeoutSeconds"] > readyz_timeout


def test_every_variable_in_the_configmap_and_secret_is_one_the_service_reads() -> None:
    unknown = (set(_config()) | set(_secret())) - service_variables()
    assert not unknown, f"no such setting: {sorted(unknown)}"
    env_from = _container()["envFrom"]
    assert {"configMapRef": {"name": "graphql-api"}} in env_from
    assert {"secretRef": {"name": "graphql-api"}} in env_from
    assert "env" not in _container()


def test_the_secret_holds_the_cursor_secret_and_the_azure_credentials() -> None:
    assert set(_secret()) == {
        "CURSOR_SECRET",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
    }
    assert not {"CURSOR_SECRET", "AZURE_CLIENT_SECRET"} & set(_config())


def _settings_env() -> dict[str, str]:
    return {**_config(), **_secret(), "CURSOR_SECRET": A_CURSOR_SECRET}


def test_the_configmap_with_a_filled_secret_is_a_configuration_the_service_accepts() -> None:
    settings = Settings.from_env(_settings_env())
    assert not settings.use_embedded_emulator
    assert settings.schema.cursor_key == A_CURSOR_SECRET.encode()
    assert settings.shared.redis_url is not None


def test_the_unfilled_secret_stops_the_service_at_start_up() -> None:
    # A pod given the placeholder refuses to start rather than sign cursors with it.
    with pytest.raises(ConfigError, match="CURSOR_SECRET"):
        Settings.from_env({**_config(), **_secret()})


def test_grace_period_outlasts_the_pre_stop_pause_and_the_shutdown_timeout() -> None:
    pod = _deployment()["spec"]["template"]["spec"]
    pause = _container()["lifecycle"]["preStop"]["exec"]["command"]
    assert pause[0] == "sleep"
    shutdown = Settings.from_env(_settings_env()).server.shutdown_timeout
    assert pod["terminationGracePeriodSeconds"] > float(pause[1]) + shutdown


def test_keepalive_outlasts_a_load_balancers_idle_timeout() -> None:
    assert Settings.from_env(_settings_env()).server.keepalive_timeout > 60


def test_pods_run_as_the_images_non_root_user_on_a_read_only_root() -> None:
    pod = _deployment()["spec"]["template"]["spec"]
    container = _container()
    uid = re.search(r"useradd .*--uid (\d+)", _dockerfile_runtime())
    assert uid is not None
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == int(uid.group(1))
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    # Where the service writes (temporary files; with --workers, PROMETHEUS_MULTIPROC_DIR
    # under the temporary directory) is a writable emptyDir.
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert "PROMETHEUS_MULTIPROC_DIR" not in _config()


def test_every_container_has_requests_and_limits() -> None:
    for resource in _resources():
        if resource["kind"] != "Deployment":
            continue
        for container in resource["spec"]["template"]["spec"]["containers"]:
            resources = container["resources"]
            assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}


def test_replicas_spread_across_nodes() -> None:
    constraints = _deployment()["spec"]["template"]["spec"]["topologySpreadConstraints"]
    by_key = {constraint["topologyKey"]: constraint for constraint in constraints}
    pod_labels = _deployment()["spec"]["template"]["metadata"]["labels"]
    assert by_key["kubernetes.io/hostname"]["whenUnsatisfiable"] == "DoNotSchedule"
    for constraint in constraints:
        assert constraint["labelSelector"]["matchLabels"].items() <= pod_labels.items()


def test_service_disruption_budget_and_network_policy_select_the_pods_and_port() -> None:
    pod_labels = _deployment()["spec"]["template"]["metadata"]["labels"]
    port_names = {port["name"] for port in _container()["ports"]}
    service = _one("Service")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert {port["targetPort"] for port in service["spec"]["ports"]} <= port_names
    pdb = _one("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["minAvailable"] < _deployment()["spec"]["replicas"]
    policy = _one("NetworkPolicy")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    (rule,) = policy["spec"]["ingress"]
    # Pods of any namespace in the cluster, and no ipBlock: nothing from outside it.
    assert rule["from"] == [{"namespaceSelector": {}}]
    assert {port["port"] for port in rule["ports"]} <= port_names


def test_the_ingress_routes_graphql_and_never_metrics_or_probes() -> None:
    ingress = _one("Ingress")
    service_ports = {port["name"] for port in _one("Service")["spec"]["ports"]}
    paths = [path for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    routed = {(path["path"], path["pathType"]) for path in paths}
    assert routed == {("/graphql", "Exact"), (STATIC_PATH, "Prefix")}
    for path in paths:
        assert path["backend"]["service"]["name"] == "graphql-api"
        assert path["backend"]["service"]["port"]["name"] in service_ports


def test_redis_url_names_the_redis_service_and_only_the_service_reaches_it() -> None:
    url = urlsplit(_config()["REDIS_URL"])
    redis_service = _one("Service", url.hostname or "")
    (port,) = redis_service["spec"]["ports"]
    assert url.port == port["port"]
    redis = _one("Deployment", "graphql-api-redis")
    (container,) = redis["spec"]["template"]["spec"]["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    policy = _one("NetworkPolicy", "graphql-api-redis")
    (rule,) = policy["spec"]["ingress"]
    pod_labels = _deployment()["spec"]["template"]["metadata"]["labels"]
    (source,) = rule["from"]
    assert source["podSelector"]["matchLabels"].items() <= pod_labels.items()
