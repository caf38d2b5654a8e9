"""docker-compose.yml, Dockerfile and Procfile say what the issue asks (Docker itself does not run here)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def compose() -> dict:
    with open(os.path.join(REPO, "docker-compose.yml")) as f:
        return yaml.safe_load(f)


def test_redis_has_aof_everysec_noeviction_and_a_password(compose):
    command = " ".join(compose["services"]["redis"]["command"])
    for flag in ("--appendonly yes", "--appendfsync everysec", "--maxmemory-policy noeviction", "--requirepass"):
        assert flag in command
    assert "redis-data:/data" in compose["services"]["redis"]["volumes"]


def test_every_app_service_reaches_redis_with_the_password(compose):
    for name in ("api", "worker-gpu", "worker-cpu"):
        service = compose["services"][name]
        assert service["environment"]["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD")
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "${REDIS_PASSWORD" in compose["services"]["flower"]["environment"]["CELERY_BROKER_URL"]


def test_api_under_gunicorn_gpu_worker_reserves_a_device_and_cpu_worker(compose):
    services = compose["services"]
    assert services["api"]["command"] == ["gunicorn", "-c", "python:capplan.gunicorn_conf", "api.wsgi:app"]
    gpu = services["worker-gpu"]
    device = gpu["deploy"]["resources"]["reservations"]["devices"][0]
    assert device["capabilities"] == ["gpu"] and gpu["environment"]["FORECAST_DEVICE"] == "cuda"
    assert services["worker-cpu"]["environment"]["FORECAST_DEVICE"] == "cpu"
    for name in ("worker-gpu", "worker-cpu"):
        command = " ".join(services[name]["command"])
        assert "-A workers.worker worker" in command and "-Q forecast,batch" in command
    assert "flower" in services["flower"]["command"]


def test_dockerfile_installs_the_pins_and_runs_unprivileged():
    text = open(os.path.join(REPO, "Dockerfile")).read()
    assert text.startswith("#") and "FROM python:3.11" in text
    assert "pip install -r requirements.txt" in text and "USER capplan" in text and "api.wsgi:app" in text


def test_compose_config_passes_where_docker_compose_exists():
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        cmd = ["docker", "compose", "-f", "docker-compose.yml", "config", "-q"]
    elif shutil.which("docker-compose"):
        cmd = ["docker-compose", "-f", "docker-compose.yml", "config", "-q"]
    else:
        pytest.skip("neither `docker compose` nor docker-compose is installed; the YAML checks above still ran")
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
