"""GraphiQL for browsers, served entirely by this service so that it works offline.

`GraphiQLPage.render` answers a browser's `GET /graphql` with a page whose scripts and styles
come from `STATIC_PATH` on this same server (see `assets` for where those files live), a ready
`customers` query, and the `Authorization` header explained. A strict Content-Security-Policy
keeps the page from reaching any other origin. When the assets are not installed, the page
says so and how to fix it, rather than falling back to a CDN.

Example:
    page = GraphiQLPage(endpoint="/graphql", assets=AssetDirectory.locate(None))
    routes = [Route(f"{STATIC_PATH}/{{name}}", page.asset)]
"""

from __future__ import annotations

import html
import json
from importlib import resources
from string import Template

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from .assets import ASSET_FILES, AssetDirectory

STATIC_PATH = "/graphiql/static"
INIT_SCRIPT = "graphiql-init.js"

# Scripts and styles from this origin only; GraphiQL's fonts are inline data: URLs and it sets
# inline styles, which is all 'unsafe-inline' (styles only) allows.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

EXAMPLE_QUERY = """\
# graphql_api: a partner's Partner Center customers.
# Press the run button (or Ctrl-Enter) to list them.
#
# Authorization: every request needs a bearer token,
# set in the Headers tab below as
#   {"Authorization": "Bearer <access token>"}
# Per PARTNER_CENTER_AUTH the service forwards it to
# Partner Center, or checks it and calls Partner Center
# with its own credentials. Without one, fields that need
# Partner Center fail with the code UNAUTHENTICATED.
#$demo_note
# More: page on by setting the `after` variable to
# pageInfo.endCursor; search with
#   customers(search: {field: COMPANY_NAME,
#                      startsWith: "Contoso"})
# and open a customer's billingProfile. The Docs pane
# describes every field.
query Customers($$first: Int = 10, $$after: String) {
  customers(first: $$first, after: $$after) {
    edges {
      cursor
      node {
        id
        relationshipToPartner
        companyProfile {
          companyName
          domain
        }
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
"""

_DEMO_NOTE = """
# Here the data comes from the embedded Partner Center
# emulator, which accepts any bearer token: a demo token
# is already filled in, so just press run.
#"""

_PLACEHOLDER_HEADERS = '{\n  "Authorization": "Bearer <paste an access token here>"\n}'


def example_query(*, demo: bool) -> str:
    """The query GraphiQL opens with; `demo` adds the note about the emulator's demo token."""
    return Template(EXAMPLE_QUERY).substitute(demo_note=_DEMO_NOTE if demo else "")


def default_headers(demo_token: str | None) -> str:
    """The Headers editor's initial text: the demo token, or a placeholder to replace."""
    if demo_token is None:
        return _PLACEHOLDER_HEADERS
    return json.dumps({"Authorization": f"Bearer {demo_token}"}, indent=2)


def _template(name: str) -> Template:
    return Template(resources.files(__package__).joinpath(name).read_text("utf-8"))


class GraphiQLPage:
    """Renders the GraphiQL page and serves its assets from this server."""

    def __init__(
        self, *, endpoint: str, assets: AssetDirectory, demo_token: str | None = None
    ) -> None:
        self.endpoint = endpoint
        self.assets = assets
        self.demo_token = demo_token
        self._page = _template("page.html")
        self._missing = _template("missing.html")
        self._init_script = resources.files(__package__).joinpath(INIT_SCRIPT).read_bytes()

    def render(self) -> Response:
        """The GraphiQL page, or an explanation (503) when its assets are not installed."""
        headers = {
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        }
        missing = self.assets.missing()
        if missing:
            body = self._missing.substitute(
                root=html.escape(str(self.assets.root)),
                missing="".join(f"<li><code>{html.escape(path)}</code></li>" for path in missing),
                endpoint=html.escape(self.endpoint),
            )
            return HTMLResponse(body, status_code=503, headers=headers)
        config = {
            "endpoint": self.endpoint,
            "query": example_query(demo=self.demo_token is not None),
            "headers": default_headers(self.demo_token),
        }
        # JSON inside <script>: escaping "<" keeps "</script>" in a string from closing the tag.
        config_json = json.dumps(config).replace("<", "\\u003c")
        return HTMLResponse(
            self._page.substitute(static=STATIC_PATH, config=config_json), headers=headers
        )

    async def asset(self, request: Request) -> Response:
        """Serve one of the known asset files (only those: no path is taken from the URL)."""
        name = request.path_params["name"]
        cache = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        if name == INIT_SCRIPT:
            return Response(self._init_script, media_type="text/javascript", headers=cache)
        path = self.assets.path(name)
        if path is None:
            status = 404 if name not in ASSET_FILES else 503
            return PlainTextResponse("GraphiQL asset not available", status_code=status)
        media_type = "text/css" if name.endswith(".css") else "text/javascript"
        return FileResponse(path, media_type=media_type, headers=cache)


__all__ = [
    "CONTENT_SECURITY_POLICY",
    "EXAMPLE_QUERY",
    "STATIC_PATH",
    "AssetDirectory",
    "GraphiQLPage",
    "default_headers",
    "example_query",
]
