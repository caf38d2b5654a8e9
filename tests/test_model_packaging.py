"""What ships and what experiments: nothing that serves imports the harnesses, and no file names a machine's folders."""
from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from models.serving_config import ServingConfig

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = {".venv", ".git", "node_modules", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis"}
URL = re.compile(r"\w+://\S*|^/api/\S*$")   # a URL, or a path of this service's own API (a recorded response)
POSIX = re.compile(r"(?:^|[\s\"'=(,:])(/[\w.-]+(?:/[\w.-]+)+)")
WINDOWS = re.compile(r"(?:^|[\s\"'=(,])([A-Za-z]:[\\/]\S*)")


def _files(*suffixes: str):
    for path in ROOT.rglob("*"):
        if path.suffix in suffixes and path.is_file() and not SKIPPED & set(path.relative_to(ROOT).parts):
            yield path


def _strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def absolute_paths(value) -> list[str]:
    """Every absolute filesystem path inside the strings (keys too) of a parsed JSON, TOML or YAML document."""
    found = []
    for text in _strings(value):
        text = URL.sub("", text)
        found += POSIX.findall(text) + WINDOWS.findall(text)
    return found


def _container_root() -> str:
    """The image's WORKDIR: paths under it are inside the container, the same on every machine."""
    return next(line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines()
                if line.startswith("WORKDIR"))


def _parsed(path: Path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    if path.suffix == ".toml":
        return tomllib.loads(text)
    return list(yaml.safe_load_all(text))


def test_nothing_that_serves_imports_the_experiments():
    offenders = []
    for package in ("api", "workers", "models"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "experiments"]
    assert not offenders


@pytest.mark.parametrize("path", sorted(_files(".json", ".toml", ".yaml", ".yml")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_config_file_names_an_absolute_path(path):
    found = absolute_paths(_parsed(path))
    if path.name == "docker-compose.yml":
        found = [p for p in found if not p.startswith(_container_root().rstrip("/") + "/")]
    if path.name == "docker-compose.rabbitmq.yml":     # the rabbitmq image's own data directory
        found = [p for p in found if p != "/var/lib/rabbitmq"]
    assert not found


def test_the_path_check_finds_posix_and_windows_paths_but_not_urls():
    assert absolute_paths({"a": "/work/shared/x.csv", "b": ["see C:\\data\\x.csv"]}) == ["/work/shared/x.csv",
                                                                                          "C:\\data\\x.csv"]
    assert absolute_paths({"url": "http://127.0.0.1:5000/api/health", "rel": "../shared/data/x.csv",
                           "volume": "redis-data:/data", "prose": "chosen on (benchmarks/validate_model.py)",
                           "status_url": "/api/jobs/abc/results"}) == []


def test_the_shipped_model_records_its_data_relative_and_serving_options_only():
    meta = json.loads((ROOT / "models" / "artifacts" / "model.json").read_text())
    assert meta["training"]["config"]["real_csv"] == "../shared/data/nyc_departures_hourly.csv"
    assert ServingConfig.from_mapping(meta["serving"]).as_dict() == {**ServingConfig().as_dict(), **meta["serving"]}
    assert meta["serving_chosen_on"].startswith("validation only")
