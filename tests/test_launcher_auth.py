"""`capplan run` and API keys: one line says whether the API asks for them, and readiness needs no key."""
from __future__ import annotations

import argparse

import pytest

from capplan.config import load_settings
from capplan.keys import auth_summary
from capplan.launcher import ReadinessWatch, run
from tests.api_keys import write_keys


def test_a_keyed_api_is_ready_from_its_bare_status():
    watch = ReadinessWatch("http://10.0.0.5:5000", fetch=lambda _url: {"status": "healthy"})
    assert watch.poll() == ("ready", "capplan ready: http://10.0.0.5:5000 (API keys required)")
    degraded = ReadinessWatch("http://10.0.0.5:5000", timeout_s=0, fetch=lambda _url: {"status": "degraded"})
    assert degraded.poll() == ("missing", "capplan not ready after 0 s: health says 'degraded' "
                                          "(still waiting; Ctrl-C stops everything)")


def test_the_auth_line_follows_the_listening_address(tmp_path):
    assert auth_summary(load_settings(environ={"HOST": "127.0.0.1"})) == (
        "AUTH=open: the API on 127.0.0.1 asks for no API key (AUTH=keys requires one)")
    config = tmp_path / "capplan.toml"
    write_keys(config, {"a": {"tenant": "alpha"}, "b": {"tenant": "beta"}})
    settings = load_settings(environ={"HOST": "0.0.0.0", "CAPPLAN_CONFIG": str(config)})
    assert auth_summary(settings) == f"AUTH=keys: every /api call needs one of the 2 API keys in {config}"


def test_capplan_run_on_a_public_address_without_keys_starts_nothing(monkeypatch, capsys):
    monkeypatch.delenv("AUTH", raising=False)
    monkeypatch.delenv("CAPPLAN_CONFIG", raising=False)
    args = argparse.Namespace(host="0.0.0.0", port=None, redis_url="redis://127.0.0.1:1/0", concurrency=1,
                              threads=1)
    with pytest.raises(SystemExit, match="capplan run: AUTH=keys and no API keys"):
        run(args)
    assert "starting" not in capsys.readouterr().err
