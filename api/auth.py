"""Who is calling: the API key in ``Authorization: Bearer KEY``, checked before every /api call.

With AUTH=keys a missing or unknown key is a 401, and the key's tenant owns the jobs it makes: another
tenant's job is no job (404). With AUTH=open nobody is asked and every job is everyone's, as behind a
gateway that authenticates, or on a loopback address.
"""
from __future__ import annotations

from flask import Flask, current_app, g, request

from api.errors import ServiceError
from capplan.config import Settings
from capplan.keys import ApiKey, required_keyring

# What the API accepts is no secret, and a browser opening /api/docs cannot send a header.
PUBLIC_PATHS = ("/api/openapi.json", "/api/docs")
HEALTH_PATH = "/api/health"     # without a key: its status only (load balancers, Docker)


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"

    def __init__(self, message: str, invalid: bool = False):
        challenge = 'Bearer realm="capplan"' + (', error="invalid_token"' if invalid else "")   # RFC 6750
        super().__init__(message, headers={"WWW-Authenticate": challenge})


def init_auth(app: Flask, settings: Settings) -> None:
    """Load the keys and check each /api request; AUTH=keys without a single key refuses to start."""
    app.extensions["capplan_auth"] = settings.AUTH
    if settings.AUTH == "open":
        return
    app.extensions["capplan_keys"] = required_keyring(settings)
    app.before_request(_authenticate)


def _authenticate() -> None:
    path = request.path
    if not path.startswith("/api/") or path in PUBLIC_PATHS:
        return
    header = request.headers.get("Authorization")
    if header is None:
        if path == HEALTH_PATH:
            return
        raise Unauthorized("this API needs a key: send it as Authorization: Bearer KEY")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send the API key as Authorization: Bearer KEY", invalid=True)
    key = current_app.extensions["capplan_keys"].match(token.strip())
    if key is None:
        raise Unauthorized("the API key is not valid", invalid=True)
    g.api_key = key


def auth_open() -> bool:
    return current_app.extensions["capplan_auth"] == "open"


def caller() -> ApiKey | None:
    """The key the request came with; None where AUTH=open, or on a public path without one."""
    return g.get("api_key")


def current_tenant() -> str | None:
    """The caller's tenant, whose jobs alone it sees; None where AUTH=open (every job)."""
    if auth_open():
        return None
    key = caller()
    if key is None:              # a path that reads jobs is never public: refuse rather than show all
        raise Unauthorized("this API needs a key: send it as Authorization: Bearer KEY")
    return key.tenant


def owner() -> str:
    """The tenant recorded on a new job and scoping its Idempotency-Key ("" where AUTH=open)."""
    return current_tenant() or ""
