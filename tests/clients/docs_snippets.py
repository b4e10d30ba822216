"""The code blocks of docs/clients.md, written out where node resolves the project's packages."""

from __future__ import annotations

import re
from pathlib import Path

from tests.node_tools import ROOT

CLIENTS_DOC = ROOT / "docs" / "clients.md"
# A block meant to be run is fenced as ```js <file>.
_BLOCK = re.compile(r"^```js (\S+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def snippets() -> dict[str, str]:
    """File name -> text of each runnable block of docs/clients.md."""
    return {name: text for name, text in _BLOCK.findall(CLIENTS_DOC.read_text())}


def workspace(directory: Path, *harnesses: Path) -> Path:
    """`directory` holding the doc's blocks, the `harnesses`, and the project's node_modules."""
    (directory / "node_modules").symlink_to(ROOT / "node_modules")
    for name, text in snippets().items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for harness in harnesses:
        (directory / harness.name).write_text(harness.read_text())
    return directory


__all__ = ["CLIENTS_DOC", "snippets", "workspace"]
