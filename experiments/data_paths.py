"""Data paths as the repository writes them: relative to its root, so no file names one machine's folders."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def resolve(path: str | os.PathLike) -> Path:
    """A path as given when it is absolute or found from the working directory, else from the repository root."""
    given = Path(path)
    return given if given.is_absolute() or given.exists() else ROOT / given


def recorded(path: str | os.PathLike) -> str:
    """``path`` relative to the repository root, '/'-separated: what an artifact records."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), ROOT)).as_posix()
    except ValueError:                                            # another drive on Windows: no relative path
        return Path(path).name
