"""Each package keeps to its room: what its modules import, read statically with ast (nothing is imported).

The API process never imports torch (test_api_unit runs it); these rules hold for every module, even
one no request reaches, and for imports inside functions.
"""
from __future__ import annotations

import ast
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# room -> top-level packages none of its modules may import. `experiments` may not exist yet: the rule
# still reads every module of the room.
FORBIDDEN = {
    "api": ("workers", "experiments"),        # it publishes by task name (jobs.queues)
    "workers": ("api", "experiments"),        # they run normalised jobs (jobs.job_request), never raw bodies
    "planning": ("flask", "celery", "torch"),  # pure numbers
    "models": ("flask", "celery", "api", "workers", "jobs", "experiments"),   # the network, not the service
    "connectors": ("flask", "celery", "torch", "api", "workers", "models"),   # outbound calls, nothing else
    "exports": ("flask", "celery", "torch", "api", "workers", "models"),      # formats of a schedule, no transport
}


def imported_modules(source: str, package: list[str]) -> list[tuple[int, str]]:
    """(line, dotted module) of each import in ``source``, a module of ``package`` (relative ones resolved).

    ``importlib.import_module("x")`` with a literal name counts too.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            if node.module:
                found.append((node.lineno, ".".join(base + [node.module])))
            else:                                  # from . import x: x may be a module of its own
                found += [(node.lineno, ".".join(base + [alias.name])) for alias in node.names]
        elif isinstance(node, ast.Call) and _literal_import(node):
            found.append((node.lineno, _literal_import(node)))
    return found


def _literal_import(call: ast.Call) -> str | None:
    """The module named by ``importlib.import_module("x")`` or ``__import__("x")``, else None."""
    func = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
    first = call.args[0] if call.args else None
    if func in ("import_module", "__import__") and isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def room_modules(room: str) -> list[str]:
    """Paths, relative to the repository, of the room's Python files."""
    paths = []
    for folder, dirs, files in os.walk(os.path.join(REPO, room)):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        paths += [os.path.relpath(os.path.join(folder, f), REPO) for f in files if f.endswith(".py")]
    return sorted(paths)


def test_imports_are_found_wherever_and_however_they_are_written():
    source = ("import torch.nn as nn\n"
              "from workers.tasks import run_jobs\n"
              "def lazy():\n"
              "    from .. import api\n"
              "    from .store import JobStore\n"
              "    importlib.import_module('celery')\n")
    assert [name for _, name in sorted(imported_modules(source, ["models", "sub"]))] == [
        "torch.nn", "workers.tasks", "models.api", "models.sub.store", "celery"]


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_room_never_imports_what_belongs_elsewhere(room):
    paths = room_modules(room)
    assert paths, f"{room}/ has no Python modules: the rule would check nothing"
    broken = []
    for path in paths:
        with open(os.path.join(REPO, path), encoding="utf-8") as f:
            source = f.read()
        package = os.path.dirname(path).split(os.sep)
        for line, name in imported_modules(source, package):
            if name.split(".")[0] in FORBIDDEN[room]:
                broken.append(f"{path}:{line} imports {name}")
    assert not broken, f"{room}/ must not import {', '.join(FORBIDDEN[room])}:\n" + "\n".join(broken)
