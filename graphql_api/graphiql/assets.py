"""Where GraphiQL's browser assets are: files npm installed at build time, never a CDN.

The page needs four files from npm packages (pinned in package.json / package-lock.json):
React and ReactDOM 18 UMD builds, and GraphiQL 3's UMD bundle and stylesheet. They are read
from a `node_modules` directory: `GRAPHIQL_ASSETS_DIR` when set (the Docker image copies just
these files there), else the one at the project root that `npm ci` fills (`make serve` runs it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Served name -> path under node_modules. The Dockerfile copies exactly these paths.
ASSET_FILES: dict[str, str] = {
    "react.production.min.js": "react/umd/react.production.min.js",
    "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.min.js": "graphiql/graphiql.min.js",
    "graphiql.min.css": "graphiql/graphiql.min.css",
}

# The project root's node_modules, for a source checkout (editable install).
PROJECT_NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"


@dataclass(frozen=True, slots=True)
class AssetDirectory:
    """A node_modules-like directory holding (or lacking) GraphiQL's assets."""

    root: Path

    @classmethod
    def locate(cls, configured: str | None) -> AssetDirectory:
        """The configured directory, else the project's own node_modules."""
        return cls(Path(configured) if configured else PROJECT_NODE_MODULES)

    def path(self, name: str) -> Path | None:
        """The file behind served asset `name`, or None when unknown or not installed."""
        relative = ASSET_FILES.get(name)
        if relative is None:
            return None
        candidate = self.root / relative
        return candidate if candidate.is_file() else None

    def missing(self) -> list[str]:
        """The node_modules paths of assets that are not installed."""
        return [rel for name, rel in ASSET_FILES.items() if self.path(name) is None]


__all__ = ["ASSET_FILES", "PROJECT_NODE_MODULES", "AssetDirectory"]
