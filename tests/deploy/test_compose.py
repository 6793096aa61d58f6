"""docker-compose.yml cannot run here (no Docker engine): validate it against the compose spec and against the
native setup that the `distributed` test runs, so the two cannot drift apart."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scrapers.orchestration.airflow_local import NATIVE_ONLY, POOLS, airflow_env, celery_env

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_compose_file_matches_the_compose_spec():
    checker = Path(sys.executable).with_name("check-jsonschema")
    proc = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_topology_services_and_references(compose):
    services = compose["services"]
    assert {"postgres", "redis"} | AIRFLOW_SERVICES <= set(services)
    declared_volumes = set(compose.get("volumes") or {})
    for name, service in services.items():
        for dep in service.get("depends_on") or {}:
            assert dep in services, f"{name} depends on unknown service {dep}"
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared_volumes, f"{name} mounts undeclared volume {source}"
        if name != "airflow-init":
            assert "healthcheck" in service, f"{name} has no healthcheck"
    assert services["airflow-init"]["restart"] == "no"
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        deps = services[name]["depends_on"]
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
        assert "fzzf-data:/data" in services[name]["volumes"], name
    assert services["airflow-worker"]["command"] == ["celery", "worker"]
    # The UI is published on loopback only; anything wider is a deployment decision made in front of it.
    assert all(p.startswith("127.0.0.1:") for p in services["airflow-apiserver"]["ports"])


def test_airflow_env_matches_the_native_setup(compose):
    env = compose["services"]["airflow-worker"]["environment"]
    native = airflow_env(Path("/x"), base={}) | celery_env("postgresql+psycopg2://a@b/c", "redis://r", "http://h", "/d")
    missing = sorted(set(native) - NATIVE_ONLY - set(env))
    assert not missing, f"set natively but not in docker-compose.yml: {missing}"
    for key in (
        "AIRFLOW__CORE__EXECUTOR",
        "AIRFLOW__CORE__LOAD_EXAMPLES",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY",
        "DBT_SEND_ANONYMOUS_USAGE_STATS",
        "GX_ANALYTICS_ENABLED",
    ):
        assert str(env[key]) == native[key], key
    for name in AIRFLOW_SERVICES:
        assert compose["services"][name]["environment"]["FZZF_DATA_DIR"] == "/data", name


def test_every_variable_is_documented_in_env_example_and_secrets_are_required():
    text = COMPOSE.read_text(encoding="utf-8")
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", text))  # $${X} is for the container shell
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^([A-Z0-9_]+)=", example, flags=re.M))
    assert used <= documented, f"not in .env.example: {sorted(used - documented)}"
    for secret in (
        "POSTGRES_PASSWORD",
        "REDIS_PASSWORD",
        "AIRFLOW_JWT_SECRET",
        "AIRFLOW_SECRET_KEY",
        "AIRFLOW_FERNET_KEY",
    ):
        assert re.search(r"\$\{" + secret + r":\?", text), f"{secret} must be required (${{{secret}:?...}})"
        assert re.search(rf"^{secret}=change-me", example, flags=re.M), f"{secret} must be a placeholder"
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO, timeout=30)
    assert ignored.returncode == 0, ".env must be gitignored"


def test_init_creates_the_pools_the_dags_use(compose):
    script = "\n".join(compose["services"]["airflow-init"]["command"])
    assert "airflow db migrate" in script
    for name, (slots, _why) in POOLS.items():
        assert f"airflow pools set {name} {slots} " in script


def test_dockerfile_installs_the_package_with_its_pins():
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11", text, flags=re.M)  # pyproject: requires-python >=3.11,<3.12
    assert "pip install -e ." in text and "pip check" in text
    for source in re.findall(r"^COPY (?:--chown=\S+ )?(.+) \S+$", text, flags=re.M):
        for path in source.split():
            assert (REPO / path).exists(), f"Dockerfile copies missing {path}"
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", "data", ".env", ".git"} <= set(ignored)
