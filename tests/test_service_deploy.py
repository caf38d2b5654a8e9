"""docker-compose.yml, Dockerfile and Procfile say what the issue asks (Docker itself does not run here)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

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


# Compose's variable syntax, enough to resolve this file as `docker compose config` would (not run here).
VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?:(:?)([-?])([^}]*))?\}")


class RequiredVariable(Exception):
    pass


def interpolate(value, env: dict):
    """``value`` (the parsed file, or a part of it) with every ${...} resolved from ``env``."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def resolve(m):
        if m.group(0) == "$$":
            return "$"
        name, colon, op, arg = m.groups()
        given = env.get(name)
        missing = given is None or (colon == ":" and given == "")
        if op == "?" and missing:
            raise RequiredVariable(f"{name}: {arg}")
        return arg if op == "-" and missing else (given or "")

    return VARIABLE.sub(resolve, value)


def test_compose_refuses_to_start_without_a_redis_password(compose):
    with pytest.raises(RequiredVariable, match="REDIS_PASSWORD"):
        interpolate(compose, {})
    with pytest.raises(RequiredVariable, match="REDIS_PASSWORD"):
        interpolate(compose, {"REDIS_PASSWORD": ""})
    resolved = interpolate(compose, {"REDIS_PASSWORD": "s3cret"})
    assert resolved["services"]["api"]["environment"]["REDIS_URL"] == "redis://:s3cret@redis:6379/0"
    assert "--requirepass s3cret" in " ".join(resolved["services"]["redis"]["command"])
    assert "change-me" not in open(os.path.join(REPO, "docker-compose.yml")).read()


def test_only_the_api_is_published_and_on_loopback_unless_api_bind_says(compose):
    resolved = interpolate(compose, {"REDIS_PASSWORD": "x"})
    published = {name: s["ports"] for name, s in resolved["services"].items() if s.get("ports")}
    assert published.pop("api") == ["127.0.0.1:5000:5000"]
    assert published == {"flower": ["127.0.0.1:5555:5555"]}
    assert compose["services"]["flower"]["profiles"] == ["flower"]   # off unless --profile flower
    exposed = interpolate(compose, {"REDIS_PASSWORD": "x", "API_BIND": "0.0.0.0", "PORT": "8080"})
    assert exposed["services"]["api"]["ports"] == ["0.0.0.0:8080:5000"]


def test_flower_runs_only_behind_basic_auth(compose):
    flower = interpolate(compose, {"REDIS_PASSWORD": "x"})["services"]["flower"]
    assert flower["environment"]["FLOWER_BASIC_AUTH"] == ""
    script = flower["command"][-1]
    assert flower["command"][:2] == ["sh", "-c"]
    assert script.startswith('test -n "$FLOWER_BASIC_AUTH" || {') and "exit 1" in script
    assert script.rstrip().endswith("exec celery flower --port=5555")
    with_auth = interpolate(compose, {"REDIS_PASSWORD": "x", "FLOWER_BASIC_AUTH": "ops:pw"})
    assert with_auth["services"]["flower"]["environment"]["FLOWER_BASIC_AUTH"] == "ops:pw"


def test_celery_remote_control_is_off_unless_asked_and_nothing_uses_it(compose):
    from capplan.config import load_settings
    from jobs.queues import create_celery

    assert create_celery(load_settings(environ={})).conf.worker_enable_remote_control is False
    assert create_celery(load_settings(environ={"CELERY_REMOTE_CONTROL": "true"})).conf.worker_enable_remote_control
    resolved = interpolate(compose, {"REDIS_PASSWORD": "x"})
    for name in ("api", "worker-interactive", "worker-gpu", "worker-cpu"):
        assert resolved["services"][name]["environment"]["CELERY_REMOTE_CONTROL"] == "false"
    remote = re.compile(r"\.control\.|\binspect\(\)|\bbroadcast\(|celery (?:inspect|control|status)")
    for package in ("api", "workers", "jobs", "capplan", "models", "planning"):
        for path in (Path(REPO) / package).rglob("*.py"):
            assert not remote.search(path.read_text()), f"{path} uses Celery's remote control"


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
    interactive = services["worker-interactive"]
    assert "-Q interactive -c 1" in " ".join(interactive["command"])
    assert interactive["environment"]["FORECAST_DEVICE"] == "cpu"
    assert "exec celery flower" in " ".join(services["flower"]["command"])


def test_dockerfile_installs_the_pins_and_runs_unprivileged():
    text = open(os.path.join(REPO, "Dockerfile")).read()
    assert text.startswith("#") and "FROM python:3.11" in text
    assert "pip install -r requirements.txt" in text and "USER capplan" in text and "api.wsgi:app" in text


def test_compose_config_passes_where_docker_compose_exists():
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        cmd = ["docker", "compose"]
    elif shutil.which("docker-compose"):
        cmd = ["docker-compose"]
    else:
        pytest.skip("neither `docker compose` nor docker-compose is installed; the YAML checks above still ran")
    env = {**os.environ, "REDIS_PASSWORD": "x", "RABBITMQ_PASSWORD": "y"}
    for files in (["-f", "docker-compose.yml"], ["-f", "docker-compose.yml", "-f", "docker-compose.rabbitmq.yml"]):
        out = subprocess.run([*cmd, *files, "config", "-q"], cwd=REPO, env=env, capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0, out.stderr


def merged(base: dict, override: dict) -> dict:
    """``override`` over ``base`` as Compose merges files: mappings key by key, anything else replaced."""
    out = dict(base)
    for key, value in override.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def test_the_rabbitmq_override_moves_the_queues_to_rabbitmq_and_keeps_jobs_in_redis(compose):
    from capplan.config import load_settings
    from jobs.queues import create_celery

    with open(os.path.join(REPO, "docker-compose.rabbitmq.yml")) as f:
        override = yaml.safe_load(f)
    with pytest.raises(RequiredVariable, match="RABBITMQ_PASSWORD"):
        interpolate(merged(compose, override), {"REDIS_PASSWORD": "x"})
    resolved = interpolate(merged(compose, override), {"REDIS_PASSWORD": "r", "RABBITMQ_PASSWORD": "q"})
    services = resolved["services"]
    assert not services["rabbitmq"].get("ports") and services["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_PASS"] == "q"
    for name in ("api", "worker-interactive", "worker-gpu", "worker-cpu"):
        env = services[name]["environment"]
        assert env["BROKER_URL"] == "amqp://capplan:q@rabbitmq:5672/capplan"
        assert env["REDIS_URL"] == "redis://:r@redis:6379/0" and env["MODEL_DIR"] == "/app/models/artifacts"
        assert {dep: c["condition"] for dep, c in services[name]["depends_on"].items()} == {
            "redis": "service_healthy", "rabbitmq": "service_healthy"}
        conf = create_celery(load_settings(environ={k: str(v) for k, v in env.items()})).conf
        assert conf.broker_url.startswith("amqp://") and "visibility_timeout" not in conf.broker_transport_options
    assert services["flower"]["environment"]["CELERY_BROKER_URL"].startswith("amqp://capplan:q@rabbitmq")
