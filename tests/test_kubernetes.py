"""deploy/kubernetes/ holds what a cluster needs and nothing that contradicts the app: two HTTP-mode replicas
probed on /healthz at the port they serve, secrets the template Secret defines, variables `Settings` reads,
a PodDisruptionBudget over the Deployment's pods, the migration before start, the teams file where
SUPPORTBOT_CONFIG says. (`.ci/run` also validates each manifest against Kubernetes' schemas.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import parser
from bot.rules.team_config import parse_teams
from bot.settings import Settings

REPO = Path(__file__).resolve().parents[1]
FOLDER = REPO / "deploy" / "kubernetes"
SECRET_TEMPLATE = "secret.example.yaml"
NOT_SETTINGS = {"MPLCONFIGDIR"}  # read by matplotlib, not by supportbot


def manifest(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((FOLDER / name).read_text("utf-8"))
    assert isinstance(loaded, dict), name
    return loaded


def manifests() -> dict[str, dict[str, Any]]:
    """Every resource by its kind (one resource a file)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(FOLDER.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            resource = manifest(path.name)
            assert resource["kind"] not in found, f"two {resource['kind']}s"
            found[resource["kind"]] = resource
    return found


@pytest.fixture(scope="module")
def resources() -> dict[str, dict[str, Any]]:
    return manifests()


def pod(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = resources["Deployment"]["spec"]["template"]["spec"]
    return spec


def bot(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (container,) = pod(resources)["containers"]
    assert isinstance(container, dict)
    return container


def every_container(resources: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [*pod(resources).get("initContainers", []), *pod(resources)["containers"]]


def test_the_folder_holds_each_resource_and_kustomize_applies_all_but_the_secret_template(
        resources: dict[str, dict[str, Any]]) -> None:
    assert set(resources) == {"Deployment", "Service", "Secret", "PodDisruptionBudget", "ConfigMap"}
    listed = manifest("kustomization.yaml")["resources"]
    files = {path.name for path in FOLDER.glob("*.yaml")} - {"kustomization.yaml", SECRET_TEMPLATE}
    assert sorted(listed) == sorted(files)  # `kubectl apply -k` never overwrites real secrets with placeholders
    assert resources["Secret"]["metadata"]["name"] == "supportbot"


def test_two_replicas_run_http_mode_on_the_port_the_container_declares(
        resources: dict[str, dict[str, Any]]) -> None:
    assert resources["Deployment"]["spec"]["replicas"] == 2
    container = bot(resources)
    args = parser().parse_args(container["command"][1:])
    assert container["command"][0] == "supportbot"
    assert (args.command, args.http, args.no_scheduler) == ("run", True, False)  # each replica runs the scheduler
    (port,) = container["ports"]
    assert port["containerPort"] == args.port


@pytest.mark.parametrize("probe", ["readinessProbe", "livenessProbe"])
def test_probes_ask_healthz_at_the_port_the_bot_serves(resources: dict[str, dict[str, Any]], probe: str) -> None:
    container = bot(resources)
    check = container[probe]["httpGet"]
    assert check["path"] == "/healthz"
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    target = ports.get(check["port"], check["port"])
    assert target == parser().parse_args(container["command"][1:]).port


def test_every_secret_referenced_is_in_the_template_and_every_variable_is_one_settings_reads(
        resources: dict[str, dict[str, Any]]) -> None:
    secret = resources["Secret"]
    settings_names = {field.alias for field in Settings.model_fields.values()}
    referenced: dict[str, bool] = {}
    for container in every_container(resources):
        for variable in container.get("env", []):
            assert variable["name"] in settings_names | NOT_SETTINGS, variable["name"]
            if "valueFrom" in variable:
                reference = variable["valueFrom"]["secretKeyRef"]
                assert reference["name"] == secret["metadata"]["name"]
                assert reference["key"] in secret["stringData"], reference["key"]
                referenced[reference["key"]] = reference.get("optional", False)
        for source in container.get("envFrom", []):
            assert source["secretRef"]["name"] == secret["metadata"]["name"]
    assert referenced == {"SLACK_BOT_TOKEN": False, "SLACK_SIGNING_SECRET": False, "DATABASE_URL": False,
                          "SUPPORTBOT_WEBHOOK_TOKEN": True}
    names = {variable["name"] for variable in bot(resources)["env"]}
    assert "SLACK_APP_TOKEN" not in names  # its presence would select Socket Mode


def test_the_template_secret_is_well_formed_for_settings_and_points_at_postgresql(
        resources: dict[str, dict[str, Any]]) -> None:
    values = resources["Secret"]["stringData"]
    settings = Settings(**values)  # the placeholders have the shape Settings checks (xoxb-…, a database URL)
    assert settings.database_url.startswith("postgresql://")  # SQLite cannot be shared between replicas
    assert all("replace-me" in value for value in values.values())


def test_the_migration_runs_before_the_bot_on_the_same_image_and_database(
        resources: dict[str, dict[str, Any]]) -> None:
    (migrate,) = pod(resources)["initContainers"]
    args = parser().parse_args(migrate["command"][1:])
    assert (migrate["command"][0], args.command, args.db_command) == ("supportbot", "db", "upgrade")
    assert migrate["image"] == bot(resources)["image"]
    assert {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "supportbot", "key": "DATABASE_URL"}}} \
        in migrate["env"]


def test_the_pdb_and_the_service_select_the_deployments_pods(resources: dict[str, dict[str, Any]]) -> None:
    deployment = resources["Deployment"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (deployment["spec"]["selector"]["matchLabels"],
                     resources["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
                     resources["Service"]["spec"]["selector"]):
        assert selector and selector.items() <= labels.items()
    assert 0 < resources["PodDisruptionBudget"]["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    (service_port,) = resources["Service"]["spec"]["ports"]
    assert service_port["targetPort"] in {port["name"] for port in bot(resources)["ports"]}


def test_the_teams_file_is_mounted_where_supportbot_config_names_it_and_parses(
        resources: dict[str, dict[str, Any]]) -> None:
    container = bot(resources)
    path = Path(next(v["value"] for v in container["env"] if v["name"] == "SUPPORTBOT_CONFIG"))
    config_map = resources["ConfigMap"]
    volume = next(v for v in pod(resources)["volumes"] if v.get("configMap", {}).get("name")
                  == config_map["metadata"]["name"])
    mount = next(m for m in container["volumeMounts"] if m["name"] == volume["name"])
    assert Path(mount["mountPath"]) == path.parent and mount["readOnly"] is True
    parse_teams(config_map["data"][path.name])  # raises on a file `supportbot run` would refuse


def test_every_container_runs_as_the_images_user_with_requests_and_limits(
        resources: dict[str, dict[str, Any]]) -> None:
    uid = int(re.search(r"useradd\b.*--uid (\d+)", (REPO / "Dockerfile").read_text("utf-8"))[1])  # type: ignore[index]
    security = pod(resources)["securityContext"]
    assert security["runAsNonRoot"] is True and security["runAsUser"] == uid
    for container in every_container(resources):
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= container["resources"][kind].keys(), (container["name"], kind)
    if bot(resources)["securityContext"].get("readOnlyRootFilesystem"):
        mounts = {m["mountPath"] for m in bot(resources)["volumeMounts"]}
        assert "/tmp" in mounts  # matplotlib's cache (MPLCONFIGDIR) needs somewhere to write


def test_each_manifest_validates_against_the_kubernetes_schemas(resources: dict[str, dict[str, Any]]) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    for kind, resource in resources.items():
        for version in ("1.28.0", kubernetes_validate.latest_version()):
            try:
                kubernetes_validate.validate(resource, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(f"{kind} on Kubernetes {version}: {error}")
