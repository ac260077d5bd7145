"""Free-text instructions through a model, end to end: comment → PR → CI, with reflection and one CI fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.llm_server import LLMServer, Reply, llm_env
from webhooks.demo import Stage

REPO = "maya/calc"
FILES = {
    "calc.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
    "test_calc.py": "from calc import add, sub\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\ndef test_sub():\n    assert sub(3, 1) == 2\n",
    ".github/evolve.yml": "mode: confidence\nconfidence_threshold: 0.4\n",
}
INSTRUCTION = "/evolve make add() treat None as 0 in calc.py"

# A diff as models write it: chatter around a fence, and line numbers that are off.
CHATTY_DIFF = """Sure! Here is the change:

```diff
--- a/calc.py
+++ b/calc.py
@@ -7,2 +7,4 @@
 def add(a, b):
+    a = 0 if a is None else a
+    b = 0 if b is None else b
     return a + b
```

This keeps `sub` as it is."""

WRONG_CONTEXT = """```diff
--- a/calc.py
+++ b/calc.py
@@ -1,2 +1,3 @@
 def add(x, y):
+    x = x or 0
     return x + y
```"""

SEARCH_REPLACE = """calc.py
```python
<<<<<<< SEARCH
def add(a, b):
    return a + b
=======
def add(a, b):
    return (a or 0) + (b or 0)
>>>>>>> REPLACE
```"""

BREAKS_SUB = """```diff
--- a/calc.py
+++ b/calc.py
@@ -1,5 +1,6 @@
 def add(a, b):
-    return a + b
+    return (a or 0) + (b or 0)
 
 
 def sub(a, b):
-    return a - b
+    return a + b
```"""

FIXES_SUB = """calc.py
<<<<<<< SEARCH
def sub(a, b):
    return a + b
=======
def sub(a, b):
    return a - b
>>>>>>> REPLACE
"""


async def setup(stage: Stage) -> int:
    sb = stage.sandbox
    sb.add_user("maya")
    await sb.create_repo(REPO, files=FILES, ci_command="python -m pytest -q")
    await stage.install(account="maya", repos=[REPO])
    await sb.push(REPO, as_="maya", branch="talk", files={"NOTES.md": "notes\n"})
    pull = await sb.open_pull_request(REPO, as_="maya", head="talk", title="Talk to the bot here")
    await stage.settle()
    return pull.number


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_instruction_opens_a_pr_that_passes_ci(tmp_path: Path, model: LLMServer, provider: str) -> None:
    model.script(Reply(CHATTY_DIFF))
    async with Stage(tmp_path, llm_env=llm_env(model, provider)) as stage:
        number = await setup(stage)
        await stage.sandbox.comment(REPO, number, as_="maya", body=INSTRUCTION)
        await stage.settle()
        (proposal,) = [p for p in await stage.store.proposals.find(REPO) if p.kind == "instruction"]
        assert proposal.state == "passed", proposal.history
        assert proposal.targets == ("calc.py",)
        usage = [e for e in await stage.store.journal.entries(proposal_id=proposal.id, limit=100) if e.kind == "llm.usage"]
        assert usage and usage[-1].data["input_tokens"] > 0
        # The instruction reached the model as fenced, untrusted data; the secret key did not.
        prompt = model.requests[0].prompt
        assert "treat None as 0" in prompt and "sk-test-not-a-real-key" not in prompt
        await stage.sandbox.merge(REPO, proposal.pr_number, as_="maya")
        await stage.settle()
        assert (await stage.store.proposals.get(proposal.id)).state == "merged"


async def test_a_bad_patch_is_sent_back_and_the_second_answer_lands(tmp_path: Path, model: LLMServer) -> None:
    model.script(Reply(WRONG_CONTEXT), Reply(SEARCH_REPLACE))
    async with Stage(tmp_path, llm_env=llm_env(model, "openai")) as stage:
        number = await setup(stage)
        await stage.sandbox.comment(REPO, number, as_="maya", body=INSTRUCTION)
        await stage.settle()
        (proposal,) = [p for p in await stage.store.proposals.find(REPO) if p.kind == "instruction"]
        assert proposal.state == "passed", proposal.history
        assert len(model.requests) == 2
        # The reflection turn told the model what failed.
        assert "calc.py" in model.requests[1].prompt and "def add(x, y)" in model.requests[1].prompt


async def test_ci_failure_gets_one_fix_on_the_same_branch(tmp_path: Path, model: LLMServer) -> None:
    model.script(Reply(BREAKS_SUB), Reply(FIXES_SUB))
    async with Stage(tmp_path, llm_env=llm_env(model, "openai")) as stage:
        number = await setup(stage)
        await stage.sandbox.comment(REPO, number, as_="maya", body=INSTRUCTION)
        await stage.settle()
        (proposal,) = [p for p in await stage.store.proposals.find(REPO) if p.kind == "instruction"]
        states = [step.state for step in proposal.history]
        assert "failed" in states and proposal.state == "passed", states
        # The second request carried the failing check's output.
        assert "test_sub" in model.requests[1].prompt
        pull = stage.sandbox.pull(stage.sandbox.repo(REPO), proposal.pr_number)
        assert pull.state == "open"


async def test_without_a_model_the_reply_says_what_works(tmp_path: Path) -> None:
    async with Stage(tmp_path) as stage:
        number = await setup(stage)
        await stage.sandbox.comment(REPO, number, as_="maya", body=INSTRUCTION)
        await stage.settle()
        replies = [c.body for c in stage.comments(REPO, number) if c.user.login.endswith("[bot]")]
        assert any("no LLM is configured" in r and "/evolve rewrite" in r for r in replies)
        assert [p for p in await stage.store.proposals.find(REPO) if p.kind == "instruction"] == []
