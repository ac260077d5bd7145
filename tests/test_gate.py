"""The gate by mode, and the limits no mode or approval can lift."""

import pytest

from bot.gate import ASK, HOLD, OPEN_AND_MERGE, OPEN_PR, REFUSE, SUGGEST, decide

BASE = dict(confidence=0.9, threshold=0.8, risk="low", open_prs=0, max_open_prs=3)


@pytest.mark.parametrize(
    ("mode", "changes", "action"),
    [
        ("suggest_only", {}, SUGGEST),
        ("ask_before", {}, ASK),
        ("confidence", {}, OPEN_PR),
        ("confidence", {"confidence": 0.5}, ASK),
        ("full_auto", {}, OPEN_AND_MERGE),
        ("full_auto", {"risk": "medium"}, OPEN_PR),
        ("confidence", {"open_prs": 3}, HOLD),
        ("full_auto", {"open_prs": 5}, HOLD),
        ("ask_before", {"approved": True}, OPEN_PR),
        ("suggest_only", {"approved": True}, OPEN_PR),
        ("ask_before", {"approved": True, "open_prs": 3}, HOLD),
        ("full_auto", {"denied_paths": (".github/workflows/ci.yml",)}, REFUSE),
        ("confidence", {"approved": True, "suppressed": "closed unmerged before; say /evolve retry"}, REFUSE),
        ("full_auto", {"force_ask": "reviewers here turned down 2 changes under legacy/"}, ASK),
        ("suggest_only", {"force_ask": "reviewers here turned down 2 changes under legacy/"}, SUGGEST),
        ("confidence", {"approved": True, "force_ask": "a lesson says ask"}, OPEN_PR),
    ],
)
def test_decisions(mode: str, changes: dict, action: str) -> None:
    decision = decide(mode=mode, **{**BASE, **changes})
    assert decision.action == action
    assert decision.reason


def test_reason_states_the_numbers() -> None:
    assert "confidence 0.50 < threshold 0.80" in decide(mode="confidence", **{**BASE, "confidence": 0.5}).reason


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        decide(mode="yolo", **BASE)
