"""The README is a front door: short, the two commands first, and no link in it or in docs/ that leads nowhere."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
MAX_LINES = 200
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def relative_links(path: Path) -> list[str]:
    """Targets of Markdown links and images outside code blocks that are not URLs."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return [t for t in LINK.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]


def anchors(path: Path) -> set[str]:
    """GitHub's ids for the headings of a Markdown file."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_readme_is_at_most_200_lines():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_LINES, f"README.md has {len(lines)} lines; move detail to docs/"


def test_readme_starts_with_make_run_and_make_test():
    top = "\n".join(README.read_text(encoding="utf-8").splitlines()[:20])
    assert "make run" in top and "make test" in top


MARKDOWN = [README, REPO / "CHANGELOG.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_points_at_a_file_that_exists(page):
    missing = []
    for target in relative_links(page):
        file_part, _, anchor = target.partition("#")
        destination = (page.parent / file_part).resolve() if file_part else page
        if not destination.exists():
            missing.append(target)
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            missing.append(f"{target} (no such heading)")
    assert not missing, f"{page.relative_to(REPO)}: {missing}"


def test_readme_links_each_doc():
    linked = {Path(t.partition("#")[0]).name for t in relative_links(README)}
    assert {p.name for p in (REPO / "docs").glob("*.md")} <= linked
