"""Examples: the before/after pair a person approved, checked as it is made."""

from __future__ import annotations

import pytest

from bot.rules import Example, ExampleError, RewriteError


def test_example_checks_its_fields_and_names_its_language_as_ast_grep_does() -> None:
    example = Example(
        before="x == None",
        after="x is None",
        path="a.py",
        language="py",
        source="suggestion",
        pr=3,
        author="ann",
        line=7,
    )
    assert example.language == "python"
    assert example.outcome is None
    assert example.describe() == "#3 by ann, a.py:7"
    with pytest.raises(ExampleError, match="unknown example source 'chat'"):
        Example(before="a", after="b", path="a.py", language="python", source="chat")
    with pytest.raises(ExampleError, match="same text"):
        Example(before="a", after="a", path="a.py", language="python", source="suggestion")
    with pytest.raises(ExampleError, match="empty"):
        Example(before="  ", after="a", path="a.py", language="python", source="suggestion")
    with pytest.raises(RewriteError, match="does not support the language 'cobol'"):
        Example(before="a", after="b", path="a.cob", language="cobol", source="suggestion")
