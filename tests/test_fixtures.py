"""The vendored webhook payloads validate against the vendored schemas and parse with githubkit.

Everything here runs offline: payloads, ``schemas.json`` and ``MANIFEST.json`` all live in
``tests/fixtures/webhooks`` (regenerate them with ``tests/fixtures/webhooks/topup.py``).
"""

from __future__ import annotations

import copy
import json
from functools import cache

import pytest
from githubkit.webhooks import parse_obj
from jsonschema import Draft4Validator, Draft202012Validator, validators

from tests.fixtures.webhooks import FIXTURES_DIR, all_payloads, load_payload

SCHEMAS = json.loads((FIXTURES_DIR / "schemas.json").read_text())
MANIFEST = json.loads((FIXTURES_DIR / "MANIFEST.json").read_text())
PAYLOADS = all_payloads()
IDS = [f"{event}/{stem}" for event, stem, _ in PAYLOADS]

EVENTS = [
    "issue_comment",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "check_suite",
    "check_run",
    "workflow_run",
    "status",
    "push",
    "installation",
    "installation_repositories",
    "ping",
]


# --------------------------------------------------------------------------- helpers


def _openapi_nullable(node):
    """Rewrite OpenAPI 3.0 ``nullable: true`` into JSON Schema (no-op for 3.1 documents)."""
    if isinstance(node, list):
        return [_openapi_nullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _openapi_nullable(v) for k, v in node.items()}
    if node.pop("nullable", None) is True:
        if "type" in node:
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            node["type"] = [*types, "null"] if "null" not in types else types
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def _validator_class(document):
    if str(document.get("openapi", "")).startswith("3.0"):
        return Draft4Validator  # OpenAPI 3.0 schemas are a Draft 4 dialect
    dialect = document.get("jsonSchemaDialect")  # OpenAPI 3.1 defaults to 2020-12
    if dialect:
        return validators.validator_for({"$schema": dialect}, default=Draft202012Validator)
    return Draft202012Validator


@cache
def _components():
    return _openapi_nullable(SCHEMAS["components"])


def _schema_ref(event: str, action: str | None) -> str:
    key = "-".join(part.replace("_", "-") for part in (event, action) if part)
    hook = SCHEMAS["webhooks"][key]["post"]
    return hook["requestBody"]["content"]["application/json"]["schema"]["$ref"]


def schema_errors(event: str, payload: dict) -> list[str]:
    """Messages of every schema violation of ``payload`` (empty when valid)."""
    ref = _schema_ref(event, payload.get("action"))
    cls = _validator_class(SCHEMAS)
    validator = cls({"$ref": ref, "components": _components()})
    return [
        f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
        for e in sorted(validator.iter_errors(payload), key=lambda e: list(map(str, e.path)))
    ]


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


# --------------------------------------------------------------------------- per payload


def test_fixtures_are_present():
    assert len(PAYLOADS) >= 60, "webhook fixtures missing: run tests/fixtures/webhooks/topup.py"
    assert {event for event, _, _ in PAYLOADS} == set(EVENTS)
    pull_request = {stem.split(".")[0] for event, stem, _ in PAYLOADS if event == "pull_request"}
    assert {"opened", "synchronize", "closed", "reopened"} <= pull_request


@pytest.mark.parametrize(("event", "stem", "path"), PAYLOADS, ids=IDS)
def test_payload_matches_schema(event, stem, path):
    payload = json.loads(path.read_text())
    assert payload.get("action", "default") == stem.split(".")[0]
    errors = schema_errors(event, payload)
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize(("event", "stem", "path"), PAYLOADS, ids=IDS)
def test_payload_parses_with_githubkit(event, stem, path):
    payload = json.loads(path.read_text())
    parsed = parse_obj(event, payload)  # raises pydantic.ValidationError on a bad payload
    if "action" in payload:
        assert parsed.action == payload["action"]
    assert parsed.sender is None or parsed.sender.login == payload["sender"]["login"]


# --------------------------------------------------------------------------- manifest & bundle


def test_manifest_lists_exactly_the_vendored_files():
    vendored = {path.relative_to(FIXTURES_DIR).as_posix() for _, _, path in PAYLOADS}
    listed = set(MANIFEST["files"])
    assert listed - vendored == set(), "manifest lists files that do not exist"
    assert vendored - listed == set(), "vendored files missing from MANIFEST.json"
    for name in listed:
        assert (FIXTURES_DIR / name).is_file(), name


def test_manifest_entries_are_complete():
    schemas_pkg = MANIFEST["schemas"]
    assert schemas_pkg.endswith("@" + SCHEMAS["info"]["version"])
    assert schemas_pkg in SCHEMAS["info"]["x-source"]
    for name, entry in MANIFEST["files"].items():
        assert entry["validation"] == "valid", name
        assert entry["source"]["package"] == MANIFEST["examples"], name
        assert entry["schema"]["package"] == schemas_pkg, name
        payload = json.loads((FIXTURES_DIR / name).read_text())
        for pointer in entry["added"] + entry["added_for_githubkit"]:
            node = payload
            for part in pointer.lstrip("/").split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                node = node[int(part)] if isinstance(node, list) else node[part]
    totals = MANIFEST["totals"]
    assert totals["files"] == len(PAYLOADS)
    assert totals["added"] == sum(len(e["added"]) for e in MANIFEST["files"].values())


def test_schema_bundle_is_self_contained():
    for ref in set(_refs(SCHEMAS)):
        assert ref.startswith("#/"), ref
        node = SCHEMAS
        for part in ref[2:].split("/"):
            assert part in node, f"unresolvable $ref {ref}"
            node = node[part]
    for event, _, path in PAYLOADS:
        _schema_ref(event, json.loads(path.read_text()).get("action"))  # KeyError if absent
    assert (FIXTURES_DIR / "schemas.json").stat().st_size < 5_000_000


# --------------------------------------------------------------------------- the checks can fail


def test_schema_check_rejects_a_broken_payload():
    payload = load_payload("pull_request", "opened.1")
    assert schema_errors("pull_request", payload) == []
    broken = copy.deepcopy(payload)
    del broken["pull_request"]["head"]
    assert any("'head' is a required property" in e for e in schema_errors("pull_request", broken))
    broken = copy.deepcopy(payload)
    broken["pull_request"]["number"] = "two"
    assert schema_errors("pull_request", broken)


def test_githubkit_check_rejects_a_broken_payload():
    broken = load_payload("pull_request", "opened.1")
    del broken["pull_request"]["head"]
    with pytest.raises(ValueError):  # pydantic.ValidationError is a ValueError
        parse_obj("pull_request", broken)


def test_loader():
    payload = load_payload("push", "default.1.json")
    assert payload == load_payload("push", "default.1")
    payload["ref"] = "mutated"
    assert load_payload("push", "default.1")["ref"] != "mutated"
    with pytest.raises(FileNotFoundError):
        load_payload("push", "nope.1")
    assert all(path.is_file() and path.stem == stem for _, stem, path in PAYLOADS)
