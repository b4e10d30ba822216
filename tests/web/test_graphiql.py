"""GraphiQL: served to browsers from this server's own files, with a query that works."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from graphql_api.graphiql import STATIC_PATH, default_headers, example_query
from graphql_api.graphiql.assets import ASSET_FILES, PROJECT_NODE_MODULES
from tests.web.conftest import AUTH, ServiceFactory, graphql

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _config(page: str) -> dict[str, str]:
    match = re.search(r'<script id="graphiql-config" type="application/json">(.*?)</script>', page)
    assert match is not None
    config: dict[str, str] = json.loads(match.group(1))
    return config


def _referenced_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]*)"', page)


def test_browsers_get_the_graphiql_page(service: httpx.Client) -> None:
    response = service.get("/graphql", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "GraphiQL" in response.text


def test_page_loads_nothing_from_another_origin(service: httpx.Client) -> None:
    page = service.get("/graphql", headers=BROWSER).text
    urls = _referenced_urls(page)
    assert urls, "the page references its scripts and styles"
    for url in urls:
        assert url.startswith((f"{STATIC_PATH}/", "data:")), url
    assert "//" not in "".join(url for url in urls if not url.startswith("data:"))


def test_page_forbids_other_origins_by_content_security_policy(service: httpx.Client) -> None:
    policy = service.get("/graphql", headers=BROWSER).headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"


def test_every_referenced_asset_is_served_by_the_service(service: httpx.Client) -> None:
    page = service.get("/graphql", headers=BROWSER).text
    for url in _referenced_urls(page):
        if url.startswith("data:"):
            continue
        response = service.get(url)
        assert response.status_code == 200, url
        assert response.content


def test_library_assets_are_the_npm_installed_files(service: httpx.Client) -> None:
    for name, relative in ASSET_FILES.items():
        served = service.get(f"{STATIC_PATH}/{name}")
        assert served.content == (PROJECT_NODE_MODULES / relative).read_bytes(), name


@pytest.mark.parametrize(
    "name", ["package.json", "..%2Fpackage.json", "graphiql.js", "react.development.js"]
)
def test_only_known_asset_names_are_served(service: httpx.Client, name: str) -> None:
    assert service.get(f"{STATIC_PATH}/{name}").status_code == 404


def test_clients_that_are_not_browsers_get_graphql_not_the_page(service: httpx.Client) -> None:
    response = service.get("/graphql", headers={"Accept": "*/*"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_page_opens_with_the_example_customers_query(service: httpx.Client) -> None:
    config = _config(service.get("/graphql", headers=BROWSER).text)
    assert config["query"] == example_query(demo=False)
    assert "customers(" in config["query"]
    assert "Authorization" in config["query"]


def test_page_explains_the_authorization_header_with_a_placeholder(
    service: httpx.Client,
) -> None:
    config = _config(service.get("/graphql", headers=BROWSER).text)
    assert json.loads(config["headers"]) == {
        "Authorization": "Bearer <paste an access token here>"
    }


def test_demo_page_opens_with_the_demo_token(make_service: ServiceFactory) -> None:
    with make_service({"GRAPHIQL_DEMO_TOKEN": "demo-123"}) as client:
        config = _config(client.get("/graphql", headers=BROWSER).text)
    assert json.loads(config["headers"]) == {"Authorization": "Bearer demo-123"}
    assert config["query"] == example_query(demo=True)
    assert "accepts any" in config["query"]


def test_example_query_runs_and_returns_customers(service: httpx.Client) -> None:
    response = graphql(service, example_query(demo=True))
    body = response.json()
    assert "errors" not in body
    edges = body["data"]["customers"]["edges"]
    assert len(edges) == 10
    assert all(edge["node"]["companyProfile"]["companyName"] for edge in edges)


def test_default_headers_are_json_for_the_headers_editor() -> None:
    assert json.loads(default_headers("abc")) == {"Authorization": "Bearer abc"}


def test_missing_assets_page_says_how_to_install_them_and_loads_no_cdn(
    make_service: ServiceFactory, tmp_path: Path
) -> None:
    with make_service({"GRAPHIQL_ASSETS_DIR": str(tmp_path)}) as client:
        response = client.get("/graphql", headers=BROWSER)
        asset = client.get(f"{STATIC_PATH}/graphiql.min.js")
    assert response.status_code == 503
    assert "npm ci" in response.text
    assert "graphiql/graphiql.min.js" in response.text
    assert "<script" not in response.text
    assert "http://" not in response.text
    assert "https://" not in response.text
    assert asset.status_code == 503


def test_graphiql_switched_off_serves_no_page(make_service: ServiceFactory) -> None:
    with make_service({"GRAPHIQL": "false"}) as client:
        page = client.get("/graphql", headers=BROWSER)
        asset = client.get(f"{STATIC_PATH}/graphiql.min.js")
        query = client.get("/graphql", params={"query": "{ __typename }"}, headers=AUTH)
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("application/json")
    assert asset.status_code == 404
    assert query.json() == {"data": {"__typename": "Query"}}
