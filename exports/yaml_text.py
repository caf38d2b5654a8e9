"""YAML documents with comments: PyYAML's safe_dump writes the values, comments go between its blocks."""
from __future__ import annotations

import yaml


def comment(text: str, indent: int = 0) -> str:
    """``# text`` on one line: a plan id with a line break must not end the comment and start YAML, and one
    with a control character must not make the stream unreadable (YAML refuses them even in comments)."""
    printable = "".join(c if c.isprintable() else " " for c in str(text))
    return " " * indent + "# " + " ".join(printable.split()) + "\n"


def dump(value) -> str:
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False, allow_unicode=False)


def document(head: list[str], body: dict, list_key: str, items: list[tuple[str, dict]]) -> str:
    """``body`` (whose last key is ``list_key`` under ``spec``) with ``items`` as that list, each item after
    its comment. Each piece is safe_dump's own output, indented under ``spec``; nothing is quoted by hand."""
    text = "".join(comment(line) for line in head) + dump(body).rstrip("\n")
    if not text.endswith(f"\n  {list_key}: []"):
        raise ValueError(f"spec.{list_key} must be the document's last key, and empty")
    text = text.removesuffix(f"  {list_key}: []") + f"  {list_key}:\n"
    for note, item in items:
        text += comment(note, 4)
        text += "".join("    " + line + "\n" for line in dump([item]).splitlines())
    return text
