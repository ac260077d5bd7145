"""The playbook: lessons reflected from outcomes, curated incrementally, kept in a Markdown file."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot import confidence as c
from bot import playbook as pb
from bot import proposals as p

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
REPO = "octo/demo"


def out(
    pid: str,
    *paths: str,
    reason: str = c.CLOSED_UNMERGED,
    kind: str = "rewrite",
    rule: str | None = None,
    day: int = 0,
    repository: str = REPO,
) -> c.Outcome:
    return c.Outcome(
        proposal_id=pid,
        repository=repository,
        kind=kind,
        rule_id=rule,
        paths=paths,
        predicted=0.6,
        success=reason == c.MERGED,
        at=T0 + day * DAY,
        reason=reason,
    )


def by_key(deltas: list[pb.LessonDelta]) -> dict[str, pb.LessonDelta]:
    return {d.key: d for d in deltas}


def lesson(number: int, text: str, **fields: object) -> pb.Lesson:
    return pb.Lesson(id=f"L{number}", text=text, **fields)  # type: ignore[arg-type]


LEGACY = [out("p1", "legacy/a.py", day=1), out("p2", "legacy/sub/b.py", reason=c.REVERTED, day=2)]


# -- the Reflector ------------------------------------------------------------------------


def test_two_noes_under_a_folder_make_a_folder_lesson() -> None:
    deltas = by_key(pb.reflect([*LEGACY, out("p3", "legacy/c.py", reason=c.MERGED, day=3)]))
    folder = deltas["reject-dir:legacy/"]
    assert folder.text == "Reviewers here reject changes under `legacy/`."
    assert (folder.supporting, folder.contradicting, folder.strong) == (("p1", "p2"), ("p3",), True)
    assert folder.newest == T0 + 3 * DAY
    assert "reject-dir:legacy/sub/" not in deltas  # one "no" there is not a lesson


def test_the_most_specific_scope_is_named() -> None:
    deltas = by_key(pb.reflect([out("p1", "legacy/x/a.py"), out("p2", "legacy/x/a.py", day=1)]))
    assert set(deltas) >= {"reject-path:legacy/x/a.py"}
    assert "reject-dir:legacy/x/" not in deltas and "reject-dir:legacy/" not in deltas
    assert (
        deltas["reject-path:legacy/x/a.py"].text
        == "Reviewers here reject changes to `legacy/x/a.py`."
    )


def test_ci_failures_are_not_reviewers_rejecting_a_folder() -> None:
    history = [out("p1", "src/a.py", reason=c.CI_FAILED), out("p2", "src/b.py", reason=c.CI_FAILED)]
    assert not any(d.key.startswith("reject-") for d in pb.reflect(history))


def test_a_rule_reverted_twice() -> None:
    history = [
        out("p1", "a.py", kind="learned_rule", rule="R1", reason=c.REVERTED),
        out("p2", "b.py", kind="learned_rule", rule="R1", reason=c.REVERTED, day=1),
    ]
    made = p.new_proposal(
        kind="learned_rule", repository=REPO, installation_id=1, title="Use logging, not print",
        rationale="r", spec={"rule_id": "R1"}, at=T0,
    )  # fmt: skip
    rule = by_key(pb.reflect(history, {"p2": made}))["rule:R1"]
    assert rule.text == "Rule `R1` (Use logging, not print) was reverted twice here."
    assert rule.strong
    assert by_key(pb.reflect(history))["rule:R1"].text == "Rule `R1` was reverted twice here."


def test_a_rule_turned_down_in_several_ways_says_how() -> None:
    history = [
        out("p1", kind="learned_rule", rule="R2", reason=c.CLOSED_UNMERGED),
        out("p2", kind="learned_rule", rule="R2", reason=c.CI_FAILED),
        out("p3", kind="learned_rule", rule="R2", reason=c.CLOSED_UNMERGED),
        out("p4", kind="learned_rule", rule="R2", reason=c.MERGED),
    ]
    rule = by_key(pb.reflect(history))["rule:R2"]
    assert rule.text == "Rule `R2` was turned down 3 times here (2 closed unmerged, 1 failed CI)."
    assert (rule.supporting, rule.contradicting, rule.strong) == (("p1", "p2", "p3"), ("p4",), True)
    once = by_key(pb.reflect(history[:1]))["rule:R2"]
    assert not once.strong and once.text.endswith("turned down once here (1 closed unmerged).")


def test_a_kind_failing_ci_more_often_than_not() -> None:
    history = [
        out("p1", kind="instruction", reason=c.CI_FAILED),
        out("p2", kind="instruction", reason=c.CI_FAILED),
        out("p3", kind="instruction", reason=c.CI_FAILED),
        out("p4", kind="instruction", reason=c.MERGED),
    ]
    ci = by_key(pb.reflect(history))["ci-fail:instruction"]
    assert ci.text == "`instruction` proposals fail CI more often than not here (3 of 4)."
    assert ci.strong
    assert not by_key(pb.reflect(history[:3]))[
        "ci-fail:instruction"
    ].strong  # 3 of 3: too few to say
    half = [*history[:2], out("p5", kind="instruction", reason=c.MERGED), history[3]]
    assert not by_key(pb.reflect(half))["ci-fail:instruction"].strong  # 2 of 4 is not "more often"


def test_a_kind_reviewers_mostly_turn_down() -> None:
    history = [out(f"n{i}", kind="instruction") for i in range(3)] + [
        out("y", kind="instruction", reason=c.MERGED)
    ]
    kind = by_key(pb.reflect(history))["reject-kind:instruction"]
    assert kind.text == "Reviewers here turn down most `instruction` proposals (3 of 4)."
    assert kind.strong


def test_reflect_takes_one_repository() -> None:
    with pytest.raises(ValueError, match="one repository's outcomes, got octo/a, octo/b"):
        pb.reflect([out("p1", repository="octo/a"), out("p2", repository="octo/b")])


# -- the Curator --------------------------------------------------------------------------


def test_curating_adds_lessons_then_is_idempotent() -> None:
    deltas = pb.reflect(LEGACY)
    first = pb.curate(pb.Playbook(), deltas, outcomes_seen=2)
    assert first.material_change
    assert [(x.id, x.text, x.helpful, x.harmful, x.tags) for x in first.playbook.lessons] == [
        ("L1", "Reviewers here reject changes under `legacy/`.", 2, 0, ("reject-dir:legacy/",))
    ]
    assert first.changes == ("added L1: Reviewers here reject changes under `legacy/`.",)
    assert first.playbook.through == T0 + 2 * DAY and first.playbook.outcomes_seen == 2
    again = pb.curate(first.playbook, deltas, outcomes_seen=2)
    assert again.playbook == first.playbook
    assert not again.material_change and again.changes == ()


def test_new_outcomes_bump_counters_once() -> None:
    start = pb.curate(pb.Playbook(), pb.reflect(LEGACY), outcomes_seen=2).playbook
    history = [
        *LEGACY,
        out("p3", "legacy/c.py", day=3),
        out("p4", "legacy/d.py", reason=c.MERGED, day=4),
    ]
    bumped = pb.curate(start, pb.reflect(history), outcomes_seen=4)
    legacy = bumped.playbook.lessons[0]
    assert (legacy.helpful, legacy.harmful, legacy.evidence) == (3, 1, ("p1", "p2", "p3", "p4"))
    assert legacy.supported_at == 4
    assert bumped.material_change  # helpful reached 3
    assert any(change.startswith("L1 is now borne out 3 times") for change in bumped.changes)
    assert (
        pb.curate(bumped.playbook, pb.reflect(history), outcomes_seen=4).playbook == bumped.playbook
    )


def test_a_counter_bump_below_any_threshold_is_not_material() -> None:
    start = pb.curate(pb.Playbook(), pb.reflect(LEGACY), outcomes_seen=2).playbook
    history = [*LEGACY, out("p4", "legacy/d.py", reason=c.MERGED, day=4)]
    bumped = pb.curate(start, pb.reflect(history), outcomes_seen=3)
    assert bumped.playbook.lessons[0].harmful == 1
    assert not bumped.material_change


def test_a_lesson_becoming_contested_is_material() -> None:
    start = pb.Playbook(
        (lesson(1, "x", helpful=2, harmful=1, tags=("reject-dir:legacy/",)),), outcomes_seen=5
    )
    delta = pb.LessonDelta(
        key="reject-dir:legacy/", text="x", tags=("reject-dir:legacy/",), supporting=(),
        contradicting=("p9",), newest=T0, strong=False,
    )  # fmt: skip
    curated = pb.curate(start, [delta])
    assert curated.material_change
    assert curated.changes == ("L1 is now contradicted as often as borne out (2 vs 2): x",)


def test_a_persons_rewording_survives_curation() -> None:
    start = pb.curate(pb.Playbook(), pb.reflect(LEGACY), outcomes_seen=2).playbook
    reworded = dataclasses.replace(
        start, lessons=(dataclasses.replace(start.lessons[0], text="Leave legacy/ alone."),)
    )
    history = [*LEGACY, out("p3", "legacy/c.py", day=3)]
    curated = pb.curate(reworded, pb.reflect(history), outcomes_seen=3).playbook
    assert [(x.text, x.helpful) for x in curated.lessons] == [("Leave legacy/ alone.", 3)]


def test_a_lesson_a_person_deleted_returns_only_with_new_outcomes() -> None:
    start = pb.curate(pb.Playbook(), pb.reflect(LEGACY), outcomes_seen=2).playbook
    deleted = dataclasses.replace(start, lessons=())
    assert pb.curate(deleted, pb.reflect(LEGACY), outcomes_seen=2).playbook.lessons == ()
    history = [*LEGACY, out("p3", "legacy/c.py", day=3)]
    back = pb.curate(deleted, pb.reflect(history), outcomes_seen=3)
    assert [(x.id, x.helpful) for x in back.playbook.lessons] == [("L1", 3)]


def test_new_ids_follow_the_highest() -> None:
    start = pb.Playbook((lesson(7, "Keep the changelog in order."),), outcomes_seen=0)
    curated = pb.curate(start, pb.reflect(LEGACY), outcomes_seen=2).playbook
    assert [x.id for x in curated.lessons] == ["L7", "L8"]


def test_a_lesson_a_person_wrote_matches_a_delta_by_its_words() -> None:
    start = pb.Playbook((lesson(1, "Reviewers here reject changes under legacy/"),))
    curated = pb.curate(start, pb.reflect(LEGACY), outcomes_seen=2)
    only = curated.playbook.lessons
    assert [(x.id, x.text, x.helpful, x.tags) for x in only] == [
        ("L1", "Reviewers here reject changes under legacy/", 2, ("reject-dir:legacy/",))
    ]


def test_near_duplicates_merge_but_different_keys_never_do() -> None:
    start = pb.Playbook(
        (
            lesson(
                1,
                "Reviewers here reject changes under `legacy/`.",
                helpful=3,
                evidence=("a", "b", "c"),
                tags=("reject-dir:legacy/",),
            ),
            lesson(
                2,
                "Reviewers here reject changes under `legacy/a/`.",
                helpful=2,
                evidence=("a", "b"),
                tags=("reject-dir:legacy/a/",),
            ),
            lesson(3, "reviewers here reject changes under legacy/!", helpful=4, evidence=("d",)),
        )
    )
    curated = pb.curate(start, [])
    assert [x.id for x in curated.playbook.lessons] == ["L1", "L2"]
    merged = curated.playbook.lessons[0]
    assert (merged.helpful, merged.evidence) == (4, ("a", "b", "c", "d"))
    assert curated.material_change
    assert curated.changes == (
        "merged L3 into L1 (near-duplicate): reviewers here reject changes under legacy/!",
    )


def test_lessons_contradicted_far_more_than_borne_out_are_pruned() -> None:
    start = pb.Playbook(
        (
            lesson(1, "a", helpful=1, harmful=3, tags=("reject-dir:a/",)),
            lesson(2, "b", helpful=2, harmful=3, tags=("reject-dir:b/",)),
        )
    )
    curated = pb.curate(start, [])
    assert [x.id for x in curated.playbook.lessons] == ["L2"]
    assert curated.changes == ("removed L1 (contradicted 3 times, borne out 1): a",)
    assert curated.material_change


def test_measured_lessons_without_support_go_stale_but_a_persons_do_not() -> None:
    start = pb.Playbook(
        (
            lesson(1, "measured", helpful=2, tags=("reject-dir:a/",), supported_at=10),
            lesson(2, "written by a person", supported_at=10),
        ),
        outcomes_seen=10,
    )
    assert len(pb.curate(start, [], outcomes_seen=10 + pb.STALE_AFTER - 1).playbook.lessons) == 2
    curated = pb.curate(start, [], outcomes_seen=10 + pb.STALE_AFTER)
    assert [x.id for x in curated.playbook.lessons] == ["L2"]
    assert curated.changes == (
        f"removed L1 (no support in the last {pb.STALE_AFTER} outcomes): measured",
    )


def test_the_outcome_clock_cannot_go_back() -> None:
    with pytest.raises(ValueError, match="outcomes_seen went back from 5 to 3"):
        pb.curate(pb.Playbook(outcomes_seen=5), [], outcomes_seen=3)


def test_a_weak_delta_makes_no_new_lesson() -> None:
    curated = pb.curate(pb.Playbook(), pb.reflect(LEGACY[:1]), outcomes_seen=1)
    assert curated.playbook.lessons == () and not curated.material_change


# -- the file -----------------------------------------------------------------------------


def full_playbook() -> pb.Playbook:
    odd = "odd dir, with; signs %/-->x.py"
    history = [*LEGACY, out("p5", odd, day=5), out("p6", odd, day=6)]
    return pb.curate(pb.Playbook(), pb.reflect(history), outcomes_seen=4).playbook


def test_render_and_parse_round_trip_exactly() -> None:
    playbook = full_playbook()
    text = pb.render(playbook)
    assert pb.parse(text) == playbook
    assert pb.render(pb.parse(text)) == text
    assert "- [L1] Reviewers here reject changes under `legacy/`.\n" in text
    assert "<!-- evolve-bot playbook: outcomes: 4; through: 2026-03-07T00:00:00+00:00 -->" in text
    assert pb.parse(pb.render(pb.Playbook())) == pb.Playbook()


def test_a_persons_edits_are_the_playbook() -> None:
    text = pb.render(full_playbook())
    edited = text.replace(
        "Reviewers here reject changes under `legacy/`.", "Please leave `legacy/` alone."
    ).replace("- [L2] Reviewers here reject changes to", "- [L2] DELETE ME")
    lines = edited.splitlines()
    at = next(i for i, line in enumerate(lines) if "DELETE ME" in line)
    del lines[at : at + 2]  # the lesson and its counters
    lines += [
        "- Don't touch generated files in `gen/`",
        "  or their templates.",
        "* Keep PRs small.",
    ]
    parsed = pb.parse("\n".join(lines) + "\n")
    assert [(x.id, x.text, x.helpful, x.tags) for x in parsed.lessons] == [
        ("L1", "Please leave `legacy/` alone.", 2, ("reject-dir:legacy/",)),
        (
            "L3",
            "Reviewers here turn down most `rewrite` proposals (4 of 4).",
            4,
            ("reject-kind:rewrite",),
        ),
        ("L4", "Don't touch generated files in `gen/` or their templates.", 0, ()),
        ("L5", "Keep PRs small.", 0, ()),
    ]
    assert parsed.lessons[2].supported_at == parsed.outcomes_seen == 4


def test_an_empty_file_is_an_empty_playbook() -> None:
    assert pb.parse("") == pb.parse("\n  \n") == pb.Playbook()


def test_a_file_a_person_wrote_from_scratch() -> None:
    parsed = pb.parse("## Lessons\n\n- [L4] one\n- two\n")
    assert [(x.id, x.text) for x in parsed.lessons] == [("L4", "one"), ("L5", "two")]
    assert (parsed.outcomes_seen, parsed.through) == (0, None)


HEAD = "# evolve-bot playbook\n\n## Lessons\n\n"
META = "  <!-- helpful: 1; harmful: 0; supported: 0; tags: ; evidence: -->\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("# playbook\n\n- a lesson\n", 1, "no `## Lessons` heading"),
        (HEAD + "- a\n## Lessons\n", 6, "a second `## Lessons` heading .the first is on line 3."),
        (HEAD + "- a\n## Notes\n", 6, "a heading .'## Notes'. under `## Lessons`"),
        (
            HEAD + "Some prose.\n",
            5,
            "expected a lesson .a line starting with `- `., got 'Some prose.'",
        ),
        (HEAD + "- \n", 5, "a lesson with no text"),
        (HEAD + "-\n", 5, "a lesson with no text"),
        (HEAD + "- [L1] a\n- [L1] b\n", 6, "lesson L1 appears twice .first on line 5."),
        (HEAD + META, 5, "a counters comment with no lesson above it"),
        (HEAD + "- [L1] a\n" + META + META, 7, "a second counters comment for lesson L1"),
        (HEAD + "- [L1] a\n  <!-- helpful: 1\n", 6, "does not close"),
        (
            HEAD + "- [L1] a\n" + META.replace("tags:", "tag:"),
            6,
            "the counters of lesson L1: unknown field 'tag'",
        ),
        (
            HEAD + "- a\n" + META.replace("harmful: 0; ", ""),
            6,
            "the counters of lesson on line 5: missing 'harmful'",
        ),
        (
            HEAD + "- [L1] a\n" + META.replace("helpful: 1", "helpful: many"),
            6,
            "helpful must be a whole number ≥ 0, got 'many'",
        ),
        (
            HEAD + "- [L1] a\n" + META.replace("helpful: 1", "helpful: 1; helpful: 2"),
            6,
            "'helpful' given twice",
        ),
        (
            HEAD + "- [L1] a\n" + META.replace("helpful: 1", "helpful 1"),
            6,
            "expected 'name: value' parts",
        ),
        (
            "<!-- evolve-bot playbook: outcomes: x; through: never -->\n" + HEAD,
            1,
            "header comment: outcomes must be",
        ),
        (
            "<!-- evolve-bot playbook: outcomes: 1; through: Monday -->\n" + HEAD,
            1,
            "through must be an ISO 8601 time",
        ),
        (
            "<!-- evolve-bot playbook: outcomes: 1; through: 2026-03-01T00:00:00 -->\n" + HEAD,
            1,
            "with a timezone",
        ),
    ],
)
def test_malformed_files_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(pb.PlaybookError, match=message) as caught:
        pb.parse(text)
    assert caught.value.line == line
    assert str(caught.value).startswith(f".github/evolve/playbook.md line {line}: ")


def test_a_huge_file_is_refused() -> None:
    with pytest.raises(pb.PlaybookError, match="the limit is"):
        pb.parse("x" * (pb.MAX_PLAYBOOK_CHARS + 1))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": "7"}, "id must look like L1"),
        ({"text": "  \n "}, "needs some text"),
        ({"helpful": -1}, "helpful must be a whole number"),
        ({"tags": "reject-dir:a/"}, "tags must be a tuple"),
        ({"evidence": ("",)}, "evidence must be a tuple of non-empty texts"),
    ],
)
def test_a_bad_lesson_is_refused(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pb.Lesson(**{"id": "L1", "text": "t", **fields})


def test_lesson_text_is_kept_on_one_line() -> None:
    assert pb.Lesson(id="L1", text="  two\n lines ").text == "two lines"


def test_a_playbook_refuses_duplicate_ids_and_naive_times() -> None:
    with pytest.raises(ValueError, match="lesson ids must be unique"):
        pb.Playbook((lesson(1, "a"), lesson(1, "b")))
    with pytest.raises(ValueError, match="through must be an ISO 8601 time with a timezone"):
        pb.Playbook(through=dt.datetime(2026, 1, 1))


# -- using it -----------------------------------------------------------------------------


def test_a_strong_folder_lesson_makes_the_gate_ask() -> None:
    playbook = pb.Playbook(
        (
            lesson(
                1,
                "Reviewers here reject changes under `legacy/`.",
                helpful=4,
                harmful=2,
                tags=("reject-dir:legacy/",),
            ),
        )
    )
    hints = pb.gate_hints(playbook, kind="rewrite", paths=["src/x.py", "./legacy/a.py"])
    assert hints == [
        pb.Adjustment(
            "playbook L1: Reviewers here reject changes under `legacy/`. (borne out 4, contradicted 2); asking first",
            "L1",
            force_ask=True,
        )
    ]
    assert pb.gate_hints(playbook, kind="rewrite", paths=["src/legacy/a.py"]) == []


def test_a_weaker_lesson_lowers_confidence_by_its_net_support() -> None:
    playbook = pb.Playbook(
        (lesson(1, "Careful with setup.py", helpful=3, harmful=2, tags=("reject-path:setup.py",)),)
    )
    [hint] = pb.gate_hints(playbook, kind="instruction", paths=["setup.py"])
    assert not hint.force_ask
    assert hint.confidence_delta == pytest.approx(-1 / 7)
    assert hint.reason.endswith("confidence -0.14")


def test_contested_and_kind_wide_lessons_leave_the_gate_alone() -> None:
    playbook = pb.Playbook(
        (
            lesson(1, "contested", helpful=2, harmful=2, tags=("reject-dir:legacy/",)),
            lesson(2, "ci", helpful=3, tags=("ci-fail:rewrite",)),
            lesson(3, "rule", helpful=3, tags=("rule:R1",)),
        )
    )
    assert pb.gate_hints(playbook, kind="rewrite", paths=["legacy/a.py"]) == []


def test_a_kind_tag_limits_a_lesson() -> None:
    playbook = pb.Playbook(
        (lesson(1, "x", helpful=2, tags=("reject-dir:docs/", "kind:instruction")),)
    )
    assert pb.gate_hints(playbook, kind="rewrite", paths=["docs/a.md"]) == []
    assert len(pb.gate_hints(playbook, kind="instruction", paths=["docs/a.md"])) == 1


@pytest.mark.parametrize(
    ("text", "path", "asks"),
    [
        ("Never touch `vendor/`.", "vendor/lib/x.js", True),
        ("Never touch `vendor/`.", "src/vendor.js", False),
        ("Generated: `docs/*.md` comes from the build.", "docs/api.md", True),
        ("Keep `setup.py` as it is.", "setup.py", True),
        ("Keep `setup.py` as it is.", "pkg/setup.py", False),
        ("Be brief in `commit messages`.", "setup.py", False),
    ],
)
def test_a_lesson_a_person_wrote_naming_a_path_makes_the_gate_ask(
    text: str, path: str, asks: bool
) -> None:
    hints = pb.gate_hints(pb.Playbook((lesson(1, text),)), kind="rewrite", paths=[path])
    assert [h.force_ask for h in hints] == ([True] if asks else [])
    if asks:
        assert hints[0].reason == f"playbook L1: {text} (written by a person); asking first"


def test_prompt_section_lists_usable_lessons_best_supported_first() -> None:
    playbook = pb.Playbook(
        (
            lesson(1, "weak", helpful=2, harmful=1, tags=("a",)),
            lesson(2, "contested", helpful=2, harmful=2, tags=("b",)),
            lesson(3, "strong", helpful=5, tags=("c",)),
            lesson(4, "a person's rule"),
        )
    )
    assert pb.prompt_section(playbook) == (
        "## Lessons from this repository (evolve-bot playbook)\n"
        "What reviewers here did with earlier proposals. Follow these lessons unless the request "
        "explicitly says otherwise.\n"
        "\n"
        "- strong (borne out 5 times, contradicted 0)\n"
        "- weak (borne out 2 times, contradicted 1)\n"
        "- a person's rule\n"
    )
    assert pb.prompt_section(pb.Playbook()) == ""
