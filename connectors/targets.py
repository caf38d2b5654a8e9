"""The ``[prometheus.NAME]``, ``[webhooks.NAME]`` and ``[alertmanager.NAME]`` tables of the CAPPLAN_CONFIG file.

A target holds where to call and how long to wait. Credentials are named by environment variable and read
only when a call is made, so no secret sits in the file, a job record, a log line or an error message.
"""
from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlsplit

from capplan.config import ConfigError
from capplan.config_file import read_config_file
from capplan.keys import TENANT

KINDS = ("prometheus", "webhooks", "alertmanager")
NOTIFY_KINDS = ("webhooks", "alertmanager")
LABELS = {"prometheus": "prometheus", "webhooks": "webhook", "alertmanager": "alertmanager"}
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")                 # a bare TOML key, and what a request may send
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
HEADER = re.compile(r"^[A-Za-z0-9-]{1,128}$")
COMMON_FIELDS = ("url", "headers", "bearer_token_env", "basic_auth_env", "timeout_s", "tenants")
FIELDS = {"prometheus": COMMON_FIELDS + ("max_points",),
          "webhooks": COMMON_FIELDS + ("secret_env",),
          "alertmanager": COMMON_FIELDS}
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_POINTS = 11_000          # Prometheus refuses a range query of more points than this


class TargetError(RuntimeError):
    """A configured target cannot be called as configured (a credential's variable unset, say); names no secret."""


@dataclass(frozen=True)
class Target:
    """One configured system: ``kind`` and ``name`` as in ``[kind.name]``; credentials by variable name."""

    kind: str
    name: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    bearer_token_env: str | None = None
    basic_auth_env: str | None = None      # the variable holds "user:password"
    secret_env: str | None = None          # webhooks: the variable holds the HMAC key that signs each event
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_points: int = DEFAULT_MAX_POINTS
    tenants: frozenset[str] | None = None  # the tenants whose keys may name it; None: every caller

    def open_to(self, tenant: str | None) -> bool:
        """Whether a caller of ``tenant`` may name this target (None: AUTH=open, no tenant to match)."""
        return self.tenants is None or tenant in self.tenants

    @property
    def label(self) -> str:
        """How responses, records and logs name the target: ``prometheus:prod``, never its URL."""
        return f"{LABELS[self.kind]}:{self.name}"

    def request_headers(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The configured headers plus the credential, read from its variable now."""
        headers = dict(self.headers)
        if self.bearer_token_env:
            headers["Authorization"] = "Bearer " + self._variable(self.bearer_token_env, environ)
        elif self.basic_auth_env:
            pair = self._variable(self.basic_auth_env, environ).encode("utf-8")
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return headers

    def secret(self, environ: Mapping[str, str] | None = None) -> bytes | None:
        """The signing key of a webhook (None: events go unsigned)."""
        return self._variable(self.secret_env, environ).encode("utf-8") if self.secret_env else None

    def _variable(self, name: str, environ: Mapping[str, str] | None) -> str:
        value = (os.environ if environ is None else environ).get(name)
        if not value:
            raise TargetError(f"{self.label}: the environment variable {name} named in CAPPLAN_CONFIG is not set")
        return value


@dataclass(frozen=True)
class Connectors:
    """Every configured target, by kind and name."""

    targets: Mapping[str, Mapping[str, Target]] = field(default_factory=dict)

    def names(self, kind: str, tenant: str | None = None) -> list[str]:
        """The names of ``kind`` that a caller of ``tenant`` may give (None: AUTH=open, where a target kept
        to some tenants is no one's)."""
        return sorted(name for name, target in self.targets.get(kind, {}).items() if target.open_to(tenant))

    def find(self, kind: str, name: str) -> Target | None:
        return self.targets.get(kind, {}).get(name)

    def notify_target(self, name: str) -> Target | None:
        """The webhook or Alertmanager target called ``name`` (a name is unique across the two kinds)."""
        for kind in NOTIFY_KINDS:
            if name in self.targets.get(kind, {}):
                return self.targets[kind][name]
        return None


def load_connectors(path: str) -> Connectors:
    """The targets listed in the CAPPLAN_CONFIG file at ``path``; a bad entry is refused by name."""
    return parse_connectors(read_config_file(path), path or "CAPPLAN_CONFIG")


def parse_connectors(data: Mapping[str, Any], source: str) -> Connectors:
    targets: dict[str, dict[str, Target]] = {}
    for kind in KINDS:
        table = data.get(kind, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: {kind} must be a table of [{kind}.NAME] tables")
        targets[kind] = {name: _target(kind, name, entry, f"{source}: [{kind}.{name}]")
                         for name, entry in table.items()}
    shared = set(targets["webhooks"]) & set(targets["alertmanager"])
    if shared:
        raise ConfigError(f"{source}: {', '.join(sorted(shared))} names both a webhook and an Alertmanager; "
                          "`notify` names one target, so each name must be unique across the two")
    return Connectors(targets)


def _target(kind: str, name: str, entry: Any, where: str) -> Target:
    if not NAME.match(name):
        raise ConfigError(f"{where}: a target's name is 1-64 of A-Z a-z 0-9 _ -")
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table with at least url")
    unknown = sorted(set(entry) - set(FIELDS[kind]))
    if unknown:
        raise ConfigError(f"{where}: unknown field {', '.join(unknown)} (known: {', '.join(FIELDS[kind])})")
    url = entry.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: url must be an http:// or https:// address")
    if parts.username or parts.password:
        raise ConfigError(f"{where}: url must not hold credentials; name their variable in "
                          "bearer_token_env or basic_auth_env")
    headers = entry.get("headers", {})
    if not isinstance(headers, dict) or not all(
            isinstance(k, str) and HEADER.match(k) and isinstance(v, str) and "\n" not in v and "\r" not in v
            for k, v in headers.items()):
        raise ConfigError(f"{where}: headers must be a table of header names to one-line strings")
    if any(k.lower() == "authorization" for k in headers):
        raise ConfigError(f"{where}: put credentials in bearer_token_env or basic_auth_env, not in headers")
    envs = {key: entry.get(key) for key in ("bearer_token_env", "basic_auth_env", "secret_env")}
    for key, value in envs.items():
        if value is not None and (not isinstance(value, str) or not ENV_NAME.match(value)):
            raise ConfigError(f"{where}: {key} must name an environment variable (the secret's value stays out "
                              "of this file)")
    if envs["bearer_token_env"] and envs["basic_auth_env"]:
        raise ConfigError(f"{where}: give bearer_token_env or basic_auth_env, not both")
    timeout = entry.get("timeout_s", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 300:
        raise ConfigError(f"{where}: timeout_s must be a number of seconds in (0, 300]")
    max_points = entry.get("max_points", DEFAULT_MAX_POINTS)
    if isinstance(max_points, bool) or not isinstance(max_points, int) or not 2 <= max_points <= DEFAULT_MAX_POINTS:
        raise ConfigError(f"{where}: max_points must be an integer from 2 to {DEFAULT_MAX_POINTS}")
    tenants = entry.get("tenants")
    if tenants is not None and (not isinstance(tenants, list) or not tenants or not all(
            isinstance(t, str) and TENANT.match(t) for t in tenants)):
        raise ConfigError(f"{where}: tenants must be a list of tenant names, as [keys.NAME] tenant gives them "
                          "(leave it out for a target every caller may name)")
    return Target(kind, name, url.rstrip("/"), dict(headers), envs["bearer_token_env"], envs["basic_auth_env"],
                  envs["secret_env"], float(timeout), max_points, None if tenants is None else frozenset(tenants))
