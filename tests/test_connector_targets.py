"""The CAPPLAN_CONFIG tables of outside systems: what is accepted, and each refusal naming its entry."""
from __future__ import annotations

import base64

import pytest

from capplan.config import ConfigError
from capplan.keys import load_keyring
from connectors.targets import TargetError, load_connectors, parse_connectors


def test_targets_are_read_with_their_defaults_beside_the_keys(tmp_path):
    path = tmp_path / "capplan.toml"
    path.write_text('[keys.a]\ntenant = "t"\nsha256 = "' + "0" * 64 + '"\n'
                    '[prometheus.prod]\nurl = "http://127.0.0.1:9090/"\nheaders = { "X-Scope-OrgID" = "team" }\n'
                    '[webhooks.ops]\nurl = "https://hooks.example.com/x"\nsecret_env = "OPS_SECRET"\ntimeout_s = 3\n'
                    '[alertmanager.main]\nurl = "http://127.0.0.1:9093"\n')
    connectors = load_connectors(str(path))
    prod = connectors.find("prometheus", "prod")
    assert (prod.url, prod.max_points, prod.timeout_s, prod.label) == ("http://127.0.0.1:9090", 11_000, 10.0,
                                                                        "prometheus:prod")
    assert prod.request_headers({}) == {"X-Scope-OrgID": "team"}
    assert connectors.notify_target("ops").kind == "webhooks"
    assert connectors.notify_target("main").kind == "alertmanager"
    assert connectors.notify_target("prod") is None and connectors.find("prometheus", "nope") is None
    assert len(load_keyring(str(path))) == 1          # the keys are still read from the same file


def test_credentials_are_read_from_their_variable_only_when_a_call_is_made():
    connectors = parse_connectors({"prometheus": {"a": {"url": "http://p:9090", "bearer_token_env": "TOK"},
                                                  "b": {"url": "http://p:9090", "basic_auth_env": "PAIR"}},
                                   "webhooks": {"w": {"url": "http://h", "secret_env": "SIG"}}}, "test")
    assert connectors.find("prometheus", "a").request_headers({"TOK": "s3cret"}) == {"Authorization": "Bearer s3cret"}
    basic = connectors.find("prometheus", "b").request_headers({"PAIR": "u:p"})["Authorization"]
    assert base64.b64decode(basic.removeprefix("Basic ")) == b"u:p"
    assert connectors.find("webhooks", "w").secret({"SIG": "k"}) == b"k"
    with pytest.raises(TargetError, match="TOK") as unset:
        connectors.find("prometheus", "a").request_headers({})
    assert "http://p" not in str(unset.value)


@pytest.mark.parametrize("entry, named", [
    ({"url": "ftp://host/x"}, "url"),
    ({"url": "http://user:pw@host"}, "credentials"),
    ({"url": "http://host", "headers": {"Authorization": "Bearer x"}}, "bearer_token_env"),
    ({"url": "http://host", "headers": {"X-A": "a\nb"}}, "headers"),
    ({"url": "http://host", "bearer_token_env": "not a variable"}, "bearer_token_env"),
    ({"url": "http://host", "bearer_token_env": "A", "basic_auth_env": "B"}, "not both"),
    ({"url": "http://host", "timeout_s": 0}, "timeout_s"),
    ({"url": "http://host", "max_points": 20_000}, "max_points"),
    ({"url": "http://host", "token": "x"}, "unknown field token"),
    ({"url": "http://host", "tenants": "payments"}, "tenants must be a list"),
    ({"url": "http://host", "tenants": []}, "tenants must be a list"),
    ({"url": "http://host", "tenants": ["pay ments"]}, "tenants must be a list"),
])
def test_a_bad_entry_is_refused_naming_it(entry, named):
    with pytest.raises(ConfigError, match=named) as refused:
        parse_connectors({"prometheus": {"prod": entry}}, "capplan.toml")
    assert "[prometheus.prod]" in str(refused.value)


def test_a_notify_name_must_be_unique_across_webhooks_and_alertmanagers():
    with pytest.raises(ConfigError, match="ops names both"):
        parse_connectors({"webhooks": {"ops": {"url": "http://a"}}, "alertmanager": {"ops": {"url": "http://b"}}}, "f")


def test_a_target_kept_to_some_tenants_is_named_by_their_callers_alone():
    found = parse_connectors({"prometheus": {"shared": {"url": "http://a"},
                                             "payments": {"url": "http://b", "tenants": ["payments", "risk"]}}},
                             "capplan.toml")
    assert found.names("prometheus", "payments") == found.names("prometheus", "risk") == ["payments", "shared"]
    assert found.names("prometheus", "search") == ["shared"]
    assert found.names("prometheus", None) == ["shared"]          # AUTH=open: no tenant to match
