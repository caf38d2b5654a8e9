"""API keys: made at random, listed in the CAPPLAN_CONFIG file by their SHA-256 only, matched in constant time.

Why SHA-256 and not a password hash (bcrypt, scrypt, argon2): a key is 32 random bytes from ``secrets``,
so finding one from its hash means about 2**255 guesses, however cheap each is. Slow hashes exist for
passwords, which people choose from far fewer possibilities; for a random key they would only add their
deliberate milliseconds to every request. The file holds no key, only what checks one.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any, Iterable

from capplan.config import ConfigError, Settings
from capplan.config_file import read_config_file

KEY_PREFIX = "capplan_"      # lets secret scanners and people tell a capplan key from other tokens
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")                 # a bare TOML key: [keys.NAME]
TENANT = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,63}$")      # part of Redis keys: no ':' and no spaces
SHA256 = re.compile(r"^[0-9a-f]{64}$")
FIELDS = ("tenant", "sha256", "rate_limit", "max_jobs")


@dataclass(frozen=True)
class ApiKey:
    """One key's entry: who holds it (its tenant) and its own limits (None: the service's defaults)."""

    name: str
    tenant: str
    sha256: str
    rate_limit: str | None = None
    max_jobs: int | None = None


def new_key() -> str:
    """A fresh key: 32 bytes from the operating system's CSPRNG, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Keyring:
    """The configured keys; ``match`` finds the entry of a presented key."""

    def __init__(self, keys: Iterable[ApiKey] = ()):
        self.keys = tuple(keys)

    def __len__(self) -> int:
        return len(self.keys)

    def match(self, presented: str) -> ApiKey | None:
        digest = key_digest(presented)
        found = None
        for entry in self.keys:     # compare with every entry: the time taken says nothing about which matched
            if hmac.compare_digest(digest, entry.sha256):
                found = entry
        return found


def load_keyring(path: str) -> Keyring:
    """The ``[keys.NAME]`` tables of the TOML file at ``path`` (no path: no keys); a bad entry is named."""
    if not path:
        return Keyring()
    return parse_keys(read_config_file(path).get("keys", {}), path)


def required_keyring(settings: Settings) -> Keyring:
    """The keys AUTH=keys checks calls against; none at all would refuse every call, so that is an error."""
    keyring = load_keyring(settings.CAPPLAN_CONFIG)
    if not keyring:
        raise ConfigError("AUTH=keys and no API keys: list them in the TOML file named by CAPPLAN_CONFIG "
                          "(capplan keys create NAME --tenant T), or set AUTH=open behind a gateway that "
                          "authenticates")
    return keyring


def auth_summary(settings: Settings) -> str:
    """One line on whether the API asks for keys (AUTH's default follows the address it listens on)."""
    if settings.AUTH == "open":
        return f"AUTH=open: the API on {settings.HOST} asks for no API key (AUTH=keys requires one)"
    count = len(required_keyring(settings))
    return f"AUTH=keys: every /api call needs one of the {count} API keys in {settings.CAPPLAN_CONFIG}"


def parse_keys(table: Any, source: str) -> Keyring:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: keys must be a table of [keys.NAME] tables")
    keys = [_entry(name, entry, f"{source}: [keys.{name}]") for name, entry in table.items()]
    seen: dict[str, str] = {}
    for key in keys:
        if key.sha256 in seen:
            raise ConfigError(f"{source}: [keys.{key.name}] has the same sha256 as [keys.{seen[key.sha256]}]")
        seen[key.sha256] = key.name
    return Keyring(keys)


def _entry(name: str, entry: Any, where: str) -> ApiKey:
    if not NAME.match(name):
        raise ConfigError(f"{where}: a key's name is 1-64 of A-Z a-z 0-9 _ -")
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table with tenant and sha256")
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        raise ConfigError(f"{where}: unknown field {', '.join(unknown)} (known: {', '.join(FIELDS)})")
    tenant, digest = entry.get("tenant"), entry.get("sha256")
    if not isinstance(tenant, str) or not TENANT.match(tenant):
        raise ConfigError(f"{where}: tenant must be 1-64 of A-Z a-z 0-9 . _ -, starting with a letter")
    if not isinstance(digest, str) or not SHA256.match(digest.lower()):
        raise ConfigError(f"{where}: sha256 must be the key's SHA-256 in 64 hex digits (capplan keys create)")
    rate_limit, max_jobs = entry.get("rate_limit"), entry.get("max_jobs")
    if rate_limit is not None and (not isinstance(rate_limit, str) or not rate_limit.strip()):
        raise ConfigError(f'{where}: rate_limit must be a string such as "60/minute"')
    if max_jobs is not None and (isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or max_jobs < 0):
        raise ConfigError(f"{where}: max_jobs must be an integer >= 0 (0: no cap)")
    return ApiKey(name, tenant, digest.lower(), rate_limit, max_jobs)


def toml_entry(name: str, tenant: str, key: str, rate_limit: str | None = None,
               max_jobs: int | None = None) -> list[str]:
    """The lines that list ``key`` in the CAPPLAN_CONFIG file: its hash, never the key."""
    lines = [f"[keys.{name}]", f'tenant = "{tenant}"', f'sha256 = "{key_digest(key)}"']
    lines.append(f'rate_limit = "{rate_limit}"' if rate_limit else
                 '# rate_limit = "60/minute"   # submissions; default RATE_LIMIT')
    lines.append(f"max_jobs = {max_jobs}" if max_jobs is not None else
                 "# max_jobs = 50              # the tenant's queued and running jobs; default MAX_JOBS_PER_TENANT")
    return lines
