"""Manifests read at start: both clients' formats, and a bad one failing the start by name."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from graphql_api.config import ConfigError, Settings
from graphql_api.web.app import create_app
from graphql_api.web.manifest import ManifestError, load_manifests

PAGE = "query Page($first: Int) { customers(first: $first) { nodes { id } } }"


def relay(tmp_path: Path, documents: dict[str, Any], name: str = "relay.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(documents))
    return path


def apollo(tmp_path: Path, operations: list[dict[str, Any]], name: str = "apollo.json") -> Path:
    path = tmp_path / name
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    path.write_text(json.dumps(manifest))
    return path


def operation(body: str, *, name: str = "Page", kind: str = "query") -> dict[str, Any]:
    return {
        "id": hashlib.sha256(body.encode()).hexdigest(),
        "name": name,
        "type": kind,
        "body": body,
    }


def start(paths: list[Path], **env: str) -> None:
    """Build the app as a worker would (the manifests are prepared there)."""
    settings = Settings.from_env(
        {"GRAPHQL_PERSISTED_DOCUMENTS": ",".join(str(p) for p in paths), **env}
    )
    create_app(settings)


def test_both_formats_merge_into_one_manifest(tmp_path: Path) -> None:
    other = "query Other { customers(first: 1) { nodes { id } } }"
    manifest = load_manifests(
        [
            str(relay(tmp_path, {"r1": PAGE})),
            str(apollo(tmp_path, [operation(other, name="Other")])),
        ]
    )
    assert len(manifest) == 2
    relay_page = manifest.get("r1")
    assert relay_page is not None
    assert relay_page.text == PAGE
    found = manifest.get(operation(other)["id"])
    assert found is not None
    assert found.name == "Other"
    assert found.format == "apollo"


def test_one_id_with_two_texts_names_both_files_and_the_id(tmp_path: Path) -> None:
    first = relay(tmp_path, {"same": PAGE}, "one.json")
    second = relay(tmp_path, {"same": "{ __typename }"}, "two.json")
    with pytest.raises(ManifestError) as failure:
        load_manifests([str(first), str(second)])
    assert str(first) in str(failure.value)
    assert str(second) in str(failure.value)
    assert "'same'" in str(failure.value)


def test_the_same_id_and_text_twice_is_one_document(tmp_path: Path) -> None:
    manifest = load_manifests(
        [
            str(relay(tmp_path, {"a": PAGE}, "one.json")),
            str(relay(tmp_path, {"a": PAGE}, "two.json")),
        ]
    )
    assert len(manifest) == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("query Page { customers(first: 1) { nodes { id }", "Syntax Error"),
        ("query Page { customers { nope } }", "Cannot query field 'nope'"),
        ("query Page { " + "customers { nodes { " * 6 + "id" + " } }" * 6 + " }", "depth"),
        ("mutation Page { customers { nodes { id } } }", "mutation"),
        ("query Page { __typename } query Two { __typename }", "exactly one operation"),
    ],
    ids=["does-not-parse", "does-not-validate", "too-deep", "mutation", "two-operations"],
)
def test_a_document_a_request_could_not_run_fails_the_start_naming_file_and_id(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = relay(tmp_path, {"bad-doc": text})
    with pytest.raises(ManifestError) as failure:
        start([path], GRAPHQL_MAX_DEPTH="4")
    message = str(failure.value)
    assert message.startswith(f"{path}: document id 'bad-doc'")
    assert problem.lower() in message.lower()


def test_a_manifest_type_that_disagrees_with_the_text_fails_the_start(tmp_path: Path) -> None:
    path = apollo(tmp_path, [operation(PAGE, kind="mutation")])
    with pytest.raises(ManifestError) as failure:
        start([path])
    assert f"document id '{operation(PAGE)['id']}'" in str(failure.value)
    assert "says mutation" in str(failure.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "not a JSON manifest"),
        ("[1, 2]", "neither Relay's"),
        (
            '{"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}',
            "version 1",
        ),
        ('{"a": 5}', "document id 'a'"),
        (
            json.dumps(
                {
                    "format": "apollo-persisted-query-manifest",
                    "version": 1,
                    "operations": [{"id": "x"}],
                }
            ),
            "`body`",
        ),
    ],
    ids=["not-json", "a-list", "apollo-version-2", "relay-text-not-a-string", "apollo-no-body"],
)
def test_a_malformed_manifest_names_its_file(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content)
    with pytest.raises(ManifestError) as failure:
        start([path])
    assert str(failure.value).startswith(str(path))
    assert problem in str(failure.value)


def test_a_missing_manifest_fails_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the manifest"):
        start([tmp_path / "absent.json"])


def test_trusted_mode_without_documents_fails_the_start() -> None:
    with pytest.raises(ConfigError, match="GRAPHQL_TRUSTED_DOCUMENTS_ONLY"):
        create_app(Settings.from_env({"GRAPHQL_TRUSTED_DOCUMENTS_ONLY": "true"}))


def test_serve_exits_2_naming_the_file_and_id_of_a_bad_document(tmp_path: Path) -> None:
    path = relay(tmp_path, {"broken-1": "query { nope }"})
    env = {**os.environ, "GRAPHQL_PERSISTED_DOCUMENTS": str(path)}
    finished = subprocess.run(
        [sys.executable, "-m", "graphql_api", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert f"{path}: document id 'broken-1'" in finished.stderr
    assert "Traceback" not in finished.stderr
