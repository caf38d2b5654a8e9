"""The TOML file named by CAPPLAN_CONFIG: API keys ([keys.NAME]) and the outside systems capplan may call."""
from __future__ import annotations

import tomllib
from typing import Any

from capplan.config import ConfigError


def read_config_file(path: str) -> dict[str, Any]:
    """The parsed CAPPLAN_CONFIG TOML file (no path: an empty one); errors name the file, never its content."""
    if not path:
        return {}
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"CAPPLAN_CONFIG {path}: cannot read it ({e.strerror})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"CAPPLAN_CONFIG {path}: not valid TOML ({e})") from None
