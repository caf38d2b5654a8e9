"""No folder of the machine in a response (issue 23): a model that fails to load says which file and why,
and /api/health, job errors and every error body carry that, not the model directory's path."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import redis as redis_lib

from jobs.heartbeats import publish
from models import artifacts
from models.serving import load_forecaster

ROOT = Path(__file__).resolve().parent.parent
# An absolute POSIX path of two or more parts, not one of the API's own URLs.
ABSOLUTE = re.compile(r"(?<![\w.:/])/(?!api/|metrics\b)[\w.-]+(?:/[\w.-]+)+")


def folders_in(text: str) -> list[str]:
    return ABSOLUTE.findall(text)


def test_the_check_finds_folders_and_not_urls():
    assert folders_in("model.json is unreadable: '/srv/capplan/models/model.json'") == ["/srv/capplan/models/model.json"]
    assert folders_in('see /api/jobs/abc/results or http://127.0.0.1:5000/api/health, "ratio 3/4"') == []


@pytest.fixture
def legacy_dir(tmp_path) -> Path:
    """A directory of the original service's model with its two scalers missing."""
    (tmp_path / artifacts.LEGACY_WEIGHTS).write_bytes(b"not a state dict")
    return tmp_path


def test_a_model_that_does_not_load_names_files_not_folders(legacy_dir):
    error = load_forecaster(legacy_dir, device="cpu").info["error"]
    assert error == f"{artifacts.TARGET_SCALER} is missing from the model directory"
    assert str(legacy_dir) not in error and not folders_in(error)


@pytest.mark.parametrize("exc", [
    FileNotFoundError(2, "No such file or directory", "{dir}/model.json"),
    PermissionError(13, "Permission denied", "{dir}/model.safetensors"),
    artifacts.ArtifactError("model.json is unreadable: [Errno 5] Input/output error: '{dir}/model.json'"),
    RuntimeError("cannot open {dir}"),
])
def test_public_errors_drop_the_model_directory(tmp_path, exc):
    folder = tmp_path / "models" / "artifacts"
    if isinstance(exc, OSError):
        exc.filename = exc.filename.format(dir=folder)
    else:
        exc = type(exc)(str(exc).format(dir=folder))
    message = artifacts.public_error(exc, folder)
    assert str(tmp_path) not in message and not folders_in(message), message
    assert "model." in message or "the model directory" in message


def test_health_and_a_failed_job_carry_no_folder(app, client, redis_server, legacy_dir, monkeypatch):
    info = load_forecaster(legacy_dir, device="cpu").info
    publish(redis_lib.Redis.from_url(redis_server.url), "host:1",
            {"node": "host", "pid": 1, "queues": ["forecast"], "model": info})
    health = client.get("/api/health")
    assert health.status_code == 503 and "is missing from the model directory" in health.get_json()["reasons"][0]
    service = app.extensions["capplan"]
    failed = {"code": "model_unavailable", "message": f"the model is not loaded: {info['error']}", "status": 503}
    monkeypatch.setattr(service.dispatcher, "submit",
                        lambda job_id: service.store.finish_many([(job_id, "failed", failed)]))
    job = client.post("/api/forecast", json={"hours_ahead": 24, "current_load": 5})
    assert job.status_code == 503
    for reply in (health, job):
        assert not folders_in(reply.get_data(as_text=True)), reply.get_data(as_text=True)


def test_no_error_body_names_a_folder(client):
    replies = [client.get("/api/nothing"), client.open("/api/health", method="FOO"),
               client.post("/api/forecast", data=b"x", content_type="text/plain"),
               client.post("/api/forecast", data=b"{not json", content_type="application/json"),
               client.get("/api/jobs/" + "a" * 5000), client.get("/api/jobs/nope/results?format=xml")]
    for reply in replies:
        body = reply.get_data(as_text=True)
        assert reply.status_code >= 400 and json.loads(body)["success"] is False
        assert not folders_in(body) and str(ROOT) not in body, body


def test_the_api_never_reads_where_it_is_installed():
    for path in (ROOT / "api").glob("*.py"):
        text = path.read_text()
        for name in ("__file__", "MODEL_DIR", "REPO_ROOT", "model_dir"):
            assert name not in text, f"{path.name} uses {name}: a folder could reach a response"
