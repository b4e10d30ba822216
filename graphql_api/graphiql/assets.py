"""Where GraphiQL's browser assets are: files npm installed at build time, never a CDN.

The page needs four files from npm packages (pinned in package.json / package-lock.json):
React and ReactDOM 18 UMD builds, and GraphiQL 3's UMD bundle and stylesheet. They are read
from a `node_modules`-shaped directory, the first of: `GRAPHIQL_ASSETS_DIR` when set; the
package's own `vendor/` directory, which the wheel build fills from node_modules (setup.py),
so an installed wheel (and the Docker image) carries them; else the project root's
`node_modules` that `npm ci` fills, for a source checkout (`make serve` runs it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Served name -> path under node_modules. The wheel build (setup.py) copies exactly these.
ASSET_FILES: dict[str, str] = {
    "react.production.min.js": "react/umd/react.production.min.js",
    "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.min.js": "graphiql/graphiql.min.js",
    "graphiql.min.css": "graphiql/graphiql.min.css",
}

# The project root's node_modules, for a source checkout (editable install).
PROJECT_NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
# The copies a built wheel carries, at their node_modules paths.
PACKAGED_ASSETS = Path(__file__).resolve().parent / "vendor"


@dataclass(frozen=True, slots=True)
class AssetDirectory:
    """A node_modules-like directory holding (or lacking) GraphiQL's assets."""

    root: Path

    @classmethod
    def locate(cls, configured: str | None) -> AssetDirectory:
        """The configured directory, else the package's own copies, else the project's."""
        if configured:
            return cls(Path(configured))
        packaged = cls(PACKAGED_ASSETS)
        return packaged if not packaged.missing() else cls(PROJECT_NODE_MODULES)

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


__all__ = ["ASSET_FILES", "PACKAGED_ASSETS", "PROJECT_NODE_MODULES", "AssetDirectory"]
