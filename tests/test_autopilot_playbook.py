"""The playbook: lessons from outcomes become a PR, and a person's edit of it steers the gate."""

from __future__ import annotations

from bot import proposals as lifecycle
from bot.playbook import PLAYBOOK_PATH
from tests.helpers.scene import config, scene
from webhooks.demo import Stage

FILES = {
    "legacy/a.py": "def a(x):\n    return x == None\n",
    "legacy/b.py": "def b(x):\n    return x == None\n",
    "core.py": "def c(x):\n    return x == None\n",
    "test_all.py": "from core import c\n\n\ndef test_c():\n    assert c(None)\n",
}
HUMAN_LESSON = "- [L90] Reviewers here reject changes to `core.py`: it is frozen until the release."


async def test_lessons_become_a_playbook_pr_and_a_human_edit_steers_the_gate(stage: Stage) -> None:
    s = await scene(stage, "lessons", files=FILES, evolve_yml=config("confidence", confidence_threshold=0.5))
    number = await s.human_pr()
    await s.settle()
    # Two changes under legacy/ are turned down by a person.
    for path in ("legacy/a.py", "legacy/b.py"):
        await s.command(number, f"/evolve rewrite $X == None -> $X is None in {path}")
        opened = [p for p in await stage.store.proposals.find(s.repo) if p.kind == "rewrite" and p.state == lifecycle.PASSED]
        assert opened, [(p.id, p.state) for p in await stage.store.proposals.find(s.repo)]
        await s.sandbox.close(s.repo, opened[0].pr_number, as_="alice")
        await s.settle()

    [playbook_pr] = [p for p in await stage.store.proposals.find(s.repo) if p.kind == "playbook"]
    text = playbook_pr.spec["text"]
    assert "legacy/" in text and playbook_pr.pr_number is not None
    await s.sandbox.merge(s.repo, playbook_pr.pr_number, as_="alice")
    await s.settle()

    # alice adds a lesson of her own on main; the bot reads it back as authoritative.
    edited = text.rstrip("\n") + "\n" + HUMAN_LESSON + "\n"
    await s.sandbox.push(s.repo, as_="alice", branch="main", files={PLAYBOOK_PATH: edited})
    await s.settle()
    assert "frozen until the release" in (await stage.store.learning.playbook_text(s.repo))[0]

    # The confidence clears the threshold, so a PR would open; the lesson makes the gate ask first.
    await s.command(number, "/evolve rewrite $X == None -> $X is None in core.py")
    core = [p for p in await stage.store.proposals.find(s.repo) if p.kind == "rewrite" and p.targets == ("core.py",)][0]
    assert core.state == lifecycle.ASKED, core.history
    assert "core.py" in s.bot_comments(number)[-1]


async def test_an_invalid_config_pushed_to_main_gets_a_failing_check_naming_the_line(stage: Stage) -> None:
    s = await scene(stage, "typo", files=FILES, evolve_yml=config("confidence"))
    await s.settle()
    await s.sandbox.push(s.repo, as_="alice", branch="main", files={".github/evolve.yml": "mode: confidence\nmax_open_prs: lots\n"})
    await s.settle()
    runs = [r for r in stage.sandbox.world.check_runs.values() if r.name == "evolve" and r.suite.repo is stage.sandbox.repo(s.repo)]
    assert runs and runs[-1].conclusion == "failure"
    assert "line 2" in (runs[-1].output or {}).get("summary", "")
