"""API keys: random, listed by their hash, matched to their entry; every mistake in the file is named."""
from __future__ import annotations

import pytest

from capplan.config import ConfigError
from capplan.keys import KEY_PREFIX, Keyring, key_digest, load_keyring, new_key, parse_keys, toml_entry


def test_new_keys_are_long_random_and_recognisable():
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100 and all(k.startswith(KEY_PREFIX) and len(k) == len(KEY_PREFIX) + 43 for k in keys)


def test_the_keyring_matches_a_key_to_its_entry_only(tmp_path):
    a, b = new_key(), new_key()
    path = tmp_path / "capplan.toml"
    path.write_text("\n".join(["[service]", 'name = "x"', ""] + toml_entry("a", "alpha", a, "5/second", 7)
                              + toml_entry("b", "beta", b)), encoding="utf-8")
    ring = load_keyring(str(path))
    assert len(ring) == 2
    assert ring.match(a).tenant == "alpha" and ring.match(a).rate_limit == "5/second" and ring.match(a).max_jobs == 7
    assert ring.match(b).name == "b" and ring.match(b).rate_limit is None and ring.match(b).max_jobs is None
    assert ring.match(a + "x") is None and ring.match("") is None and ring.match(key_digest(a)) is None
    assert a not in path.read_text() and b not in path.read_text()
    assert len(load_keyring("")) == 0 and Keyring().match(a) is None


GOOD = {"tenant": "alpha", "sha256": "0" * 64}


@pytest.mark.parametrize("table, message", [
    ({"a b": GOOD}, "name"),
    ({"a": "key"}, "table"),
    ({"a": {**GOOD, "max_job": 3}}, "unknown field max_job"),
    ({"a": {"sha256": "0" * 64}}, "tenant"),
    ({"a": {**GOOD, "tenant": "team:ops"}}, "tenant"),
    ({"a": {**GOOD, "tenant": "1"}}, "tenant"),
    ({"a": {**GOOD, "sha256": "abc"}}, "sha256"),
    ({"a": {**GOOD, "rate_limit": 60}}, "rate_limit"),
    ({"a": {**GOOD, "max_jobs": -1}}, "max_jobs"),
    ({"a": {**GOOD, "max_jobs": True}}, "max_jobs"),
    ({"a": GOOD, "b": {**GOOD, "tenant": "beta"}}, "same sha256"),
])
def test_every_mistake_in_a_key_entry_is_named(table, message):
    with pytest.raises(ConfigError, match=message) as e:
        parse_keys(table, "capplan.toml")
    assert "capplan.toml" in str(e.value)


def test_a_file_that_is_not_toml_is_named(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[keys.a\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="broken.toml: not valid TOML"):
        load_keyring(str(path))
