"""Route templates match GitHub's paths, slashes in refs included."""

from __future__ import annotations

from bot.sandbox.rest import ENDPOINTS
from bot.sandbox.routing import find_endpoint


def test_templates_match_paths_with_slashes_in_refs() -> None:
    endpoint, params, _ = find_endpoint(ENDPOINTS, "GET", "/repos/a/b/commits/feature/x/check-runs")
    assert endpoint is not None and endpoint.name == "GET /repos/{owner}/{repo}/commits/{ref}/check-runs"
    assert params == {"owner": "a", "repo": "b", "ref": "feature/x"}
    endpoint, params, _ = find_endpoint(ENDPOINTS, "PATCH", "/repos/a/b/git/refs/heads/evolve/1")
    assert endpoint is not None and params["ref"] == "heads/evolve/1"
    endpoint, params, _ = find_endpoint(ENDPOINTS, "GET", "/repos/a/b/compare/main...feature/y")
    assert endpoint is not None and params["basehead"] == "main...feature/y"


def test_unknown_method_on_a_known_path() -> None:
    endpoint, _, known = find_endpoint(ENDPOINTS, "DELETE", "/repos/a/b/pulls/1")
    assert endpoint is None and known
    endpoint, _, known = find_endpoint(ENDPOINTS, "GET", "/nothing/here")
    assert endpoint is None and not known


def test_every_route_is_unique() -> None:
    names = [e.name for e in ENDPOINTS]
    assert len(names) == len(set(names))
