"""graphql_api: a GraphQL façade over the Microsoft Partner Center customers REST API."""

from importlib.metadata import PackageNotFoundError, version

try:
    # pyproject.toml's version, through the installed distribution's metadata: one source.
    __version__ = version("graphql_api")
except PackageNotFoundError:  # pragma: no cover - run from sources never installed
    __version__ = "unknown (not installed)"
