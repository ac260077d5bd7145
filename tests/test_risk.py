"""Risk grows with diff size, file count and sensitive paths, from a base per kind."""

from bot.risk import assess


def test_small_rewrite_is_low() -> None:
    risk = assess(kind="rewrite", paths=["src/app.py"], diff_lines=6)
    assert risk.level == "low" and risk.score == 0.15


def test_sensitive_paths_and_size_raise_it() -> None:
    risk = assess(kind="rewrite", paths=["pyproject.toml", "src/app.py"], diff_lines=10)
    assert risk.level == "medium" and risk.score == 0.45
    assert assess(kind="rewrite", paths=["pyproject.toml"], diff_lines=80).level == "high"
    assert any("pyproject.toml" in r for r in risk.reasons)
    assert assess(kind="instruction", paths=[f"f{i}.py" for i in range(12)], diff_lines=300).level == "high"


def test_revert_is_lowest_and_unknown_kind_is_cautious() -> None:
    assert assess(kind="revert", paths=["a.py"], diff_lines=500).level == "medium"
    assert assess(kind="novel", paths=["a.py"], diff_lines=1).level == "medium"
