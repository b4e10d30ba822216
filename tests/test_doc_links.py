"""Every relative link in README.md and docs/ leads somewhere: a file that exists, and for a
`#fragment`, a heading of that file (GitHub's anchor for it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "tests" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) outside code; the target up to whitespace or the closing parenthesis.
_LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _prose(text: str) -> str:
    return _CODE.sub("", _FENCE.sub("", text))


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text())):
        base = anchor(heading)
        name, count = base, 1
        while name in found:
            name = f"{base}-{count}"
            count += 1
        found.add(name)
    return found


def relative_links(page: Path) -> list[str]:
    return [
        target
        for target in _LINK.findall(_prose(page.read_text()))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto:
    ]


def test_the_anchor_rule_matches_githubs() -> None:
    assert anchor("Per request, and what the cache shares") == (
        "per-request-and-what-the-cache-shares"
    )
    assert anchor("A local supergraph: `make supergraph`") == "a-local-supergraph-make-supergraph"
    assert anchor("Statuses and codes") == "statuses-and-codes"


def test_the_checker_finds_links_and_would_catch_a_broken_one(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n[ok](#title) [gone](missing.md) `[code](x.md)` [web](https://x.y)\n")
    assert relative_links(page) == ["#title", "missing.md"]
    assert _broken(page) == ["missing.md"]


def _broken(page: Path) -> list[str]:
    broken = []
    for target in relative_links(page):
        path_part, _, fragment = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        missing_anchor = (
            destination.exists()
            and destination.suffix == ".md"
            and bool(fragment)
            and fragment not in anchors(destination)
        )
        if not destination.exists() or missing_anchor:
            broken.append(target)
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    assert _broken(page) == []


def test_the_pages_are_linked_to_each_other() -> None:
    # The check above passes vacuously on a page whose links it cannot read: count them.
    assert sum(len(relative_links(page)) for page in PAGES) > 50
    assert "docs/clients.md" in relative_links(ROOT / "README.md")
