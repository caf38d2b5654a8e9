"""Docker compose runs the API with API keys from a mounted, read-only CAPPLAN_CONFIG file."""
from __future__ import annotations

import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_compose_api_asks_for_keys_listed_in_a_read_only_file():
    with open(os.path.join(REPO, "docker-compose.yml")) as f:
        api = yaml.safe_load(f)["services"]["api"]
    assert api["environment"]["AUTH"] == "${AUTH:-keys}"
    config = api["environment"]["CAPPLAN_CONFIG"]
    assert any(volume.endswith(f":{config}:ro") for volume in api["volumes"])
    assert "/api/health" in " ".join(api["healthcheck"]["test"])      # answers its status without a key
