"""Tests for ``verify usage``: units, waste rules, ranking and rendering, on synthetic sessions.

Four agents do the same four tasks the way an agent runner records them (``Ledger`` API: one
call per turn with its step, consistency samples, the gated action of each step), as
``support.usage_data`` writes them:

- concise: one search, then an answer of three supported claims in ~60 tokens;
- padding: the same work, wrapped in ~900 tokens of repeated filler;
- looping: the same search five times before answering;
- blocked: answers whose claims the corpus does not support, blocked three times in four.

The concise agent must rank first and each other agent carry its own flag.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from support.usage_data import AGENTS, DAY, T0, TASKS, session

from verify.errors import InputError
from verify.ledger import ActionRow, CallRow, Ledger, RunRow
from verify.usage import (
    CATEGORIES,
    Thresholds,
    UnitWeights,
    build_report,
    render,
    run_units,
)


@pytest.fixture
def sessions(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    with Ledger.open(path) as ledger:
        for day, task in enumerate(TASKS):
            for agent in AGENTS:
                session(
                    ledger,
                    agent,
                    task,
                    day,
                    team="red" if agent in ("concise", "padding") else "blue",
                )
    return path


def _report(path: Path, by: str = "agent", **kw: object):  # type: ignore[no-untyped-def]
    with Ledger.open(path, create=False) as ledger:
        return build_report(ledger.frames(), by, **kw)  # type: ignore[arg-type]


def _row(report, key: str):  # type: ignore[no-untyped-def]
    return next(r for r in report.rows if r.key == key)


# --------------------------------------------------------------------------- the main claim


def test_concise_ranks_first_and_each_other_agent_is_flagged_for_its_waste(sessions: Path) -> None:
    report = _report(sessions)
    assert report.rows[0].key == "concise"
    concise = _row(report, "concise")
    assert concise.flags == ()
    assert concise.wasted_tokens == 0
    assert concise.verified_units == 4 * (1 + 3)  # a search and three supported claims a run
    assert "padding" in _row(report, "padding").flags
    assert "loop" in _row(report, "looping").flags
    assert "blocked" in _row(report, "blocked").flags
    # each is flagged for its own waste, not for the others'
    assert "loop" not in _row(report, "padding").flags
    assert "padding" not in _row(report, "looping").flags
    assert "padding" not in _row(report, "blocked").flags
    # work done is the same for padding and looping: only their tokens differ
    assert _row(report, "padding").verified_units == concise.verified_units
    assert _row(report, "looping").verified_units == concise.verified_units
    assert _row(report, "blocked").verified_units == 4 + 3  # four searches, one answer
    rates = [r.units_per_1k_tokens for r in report.rows]
    assert rates == sorted(rates, reverse=True)


def test_each_flag_comes_with_the_evidence_that_triggered_it(sessions: Path) -> None:
    report = _report(sessions)
    loop = _row(report, "looping").evidence["loop"]
    assert loop and "search 'retries documentation' repeated" in loop[0]
    assert "step 1" in loop[0]
    padding = _row(report, "padding").evidence["padding"]
    assert padding and "completion tokens for 3 checkable claim(s)" in padding[0]
    blocked = _row(report, "blocked").evidence["blocked"]
    assert blocked and "blocked by the gate" in blocked[0]
    assert len(blocked) <= 3


def test_waste_categories_add_up_and_never_exceed_the_tokens(sessions: Path) -> None:
    report = _report(sessions)
    for row in report.rows:
        assert set(row.waste) == set(CATEGORIES)
        assert 0 <= row.wasted_tokens <= row.tokens
    looping = _row(report, "looping")
    assert looping.waste["loop"] == 4 * 4 * 420  # four repeated searches in each of 4 runs
    blocked = _row(report, "blocked")
    assert blocked.waste["blocked"] == 3 * 3 * (900 + 70)  # answer and 2 samples, 3 runs


@pytest.mark.parametrize(
    ("by", "first"), [("run", "concise-"), ("user", "concise-owner"), ("team", "red")]
)
def test_every_grouping_ranks_the_concise_work_first(sessions: Path, by: str, first: str) -> None:
    report = _report(sessions, by)
    assert report.rows[0].key.startswith(first)
    if by == "team":
        assert {r.key for r in report.rows} == {"red", "blue"}
        assert sum(r.runs for r in report.rows) == 16


def test_since_leaves_out_older_runs(sessions: Path) -> None:
    with Ledger.open(sessions) as ledger:
        frames = ledger.frames(since=T0 + 2 * DAY)
        report = build_report(frames, "agent")
    assert len(frames.runs) == 8 and {r.runs for r in report.rows} == {2}
    assert all(frames.runs.started_at >= T0 + 2 * DAY)


# --------------------------------------------------------------------------- units


def _units(
    rows: list[ActionRow],
    runs: list[str] | None = None,
    weights: UnitWeights | None = None,
    tmp: Path | None = None,
) -> float:
    assert tmp is not None
    with Ledger.open(tmp / "u.db") as ledger:
        ledger.add([RunRow(r) for r in runs or ["r"]], [], rows)
        frames = ledger.frames()
    return float(run_units(frames.runs, frames.actions, weights or UnitWeights()).sum())


def _act(
    step: int,
    kind: str = "answer",
    decision: str = "pass",
    executed: bool = True,
    supported: int = 2,
    total: int = 2,
    summary: str = "",
    lines: int = 0,
) -> ActionRow:
    return ActionRow(
        "r",
        f"k{step}-{kind}-{summary}-{decision}",
        step=step,
        kind=kind,
        decision=decision,
        executed=executed,
        claims_supported=supported,
        claims_total=total,
        summary=summary or f"s{step}",
        lines=lines,
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([_act(0)], 2.0),  # two supported claims delivered
        ([_act(0, decision="block", supported=1)], 0.0),  # blocked: zero, claims included
        ([_act(0, executed=False)], 0.0),  # passed but never delivered
        ([_act(0, "write_file"), _act(1, "run_command")], 2.0),  # executed actions
        ([_act(0, "search", summary="q"), _act(1, "search", summary="q")], 1.0),  # repeated
        (
            [
                _act(0, "search", summary="q", decision="block", executed=False),
                _act(1, "search", summary="q"),
            ],
            1.0,
        ),  # a retry that passes after a block counts
        ([_act(0, "gate", lines=40)], 4.0),  # 40 changed lines at 0.1
        ([_act(0, "gate", lines=40, decision="block", executed=False)], 0.0),
        ([_act(0, "answer", decision="")], 0.0),  # never gated: not verified
    ],
)
def test_units_follow_the_one_definition(
    tmp_path: Path, rows: list[ActionRow], expected: float
) -> None:
    assert _units(rows, tmp=tmp_path) == pytest.approx(expected)


def test_unit_weights_are_configurable(tmp_path: Path) -> None:
    weights = UnitWeights.parse(["claim=0.5", "action=2", "line=1"])
    rows = [_act(0), _act(1, "write_file"), _act(2, "gate", lines=3)]
    assert _units(rows, weights=weights, tmp=tmp_path) == pytest.approx(0.5 * 2 + 2 + 3)
    for bad in ("claim", "speed=2", "claim=x", "claim=-1", "line=inf"):
        with pytest.raises(InputError, match="--weight"):
            UnitWeights.parse([bad])


def test_a_run_without_actions_is_worth_what_it_reported(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as ledger:
        ledger.record_call(
            run_id="ext",
            purpose="imported",
            model="m",
            prompt_tokens=100,
            completion_tokens=10,
            seconds=0,
        )
        ledger.finish_run(run_id="ext", decision="pass", verified_units=2.5)
        ledger.finish_run(run_id="none", decision="pass")
        frames = ledger.frames()
    assert run_units(frames.runs, frames.actions, UnitWeights()).tolist() == [2.5, 0.0]


# --------------------------------------------------------------------------- single rules


def _ledger_with(tmp: Path, build) -> Path:  # type: ignore[no-untyped-def]
    path = tmp / "rules.db"
    with Ledger.open(path) as ledger:
        build(ledger)
    return path


def test_near_duplicates_within_a_run_and_across_runs_of_one_task(tmp_path: Path) -> None:
    text = (
        "The retry timeout is 30 seconds and clients retry five times with a backoff "
        "that doubles after each failed attempt against the upstream service."
    )

    def build(ledger: Ledger) -> None:
        for run, agent in (("a1", "ana"), ("a2", "ana"), ("b1", "bob")):
            ledger.start_run(run_id=run, task="retries", agent=agent, user=agent)
            for step in range(2):
                out = text if step == 0 else f"Sure. {text}"
                ledger.record_call(
                    run_id=run,
                    purpose="agent",
                    model="m",
                    prompt_tokens=100,
                    completion_tokens=40,
                    seconds=0,
                    output=out,
                    step=step,
                )
                ledger.record_action(
                    run_id=run,
                    step=step,
                    kind="answer",
                    decision="pass",
                    executed=True,
                    claims_supported=1,
                    claims_total=1,
                    summary=f"{run}{step}",
                )

    report = _report(_ledger_with(tmp_path, build), "agent")
    ana, bob = _row(report, "ana"), _row(report, "bob")
    # ana: 3 of her 4 generations repeat her first; bob's first is not ana's duplicate
    assert ana.waste["near_duplicate"] == 3 * 140
    assert bob.waste["near_duplicate"] == 140
    assert "near_duplicate" in ana.flags
    assert "the same as run a1 step 0" in ana.evidence["near_duplicate"][0]


def test_unused_oversampling_and_context(tmp_path: Path) -> None:
    def build(ledger: Ledger) -> None:
        for i in range(6):
            run = f"r{i}"
            ledger.start_run(run_id=run, task="t", agent="calm" if i else "greedy", user="u")
            ledger.record_call(
                run_id=run,
                purpose="agent",
                model="m",
                step=0,
                prompt_tokens=30_000 if i == 0 else 1000,
                completion_tokens=10,
                seconds=0,
                output=f"answer number {i} for the task at hand",
            )
            ledger.record_action(
                run_id=run,
                step=0,
                kind="answer",
                decision="pass",
                executed=True,
                claims_supported=1,
                claims_total=1,
                summary=f"a{i}",
            )
        # greedy: a turn nothing used, and ten samples where four are plenty
        ledger.record_call(
            run_id="r0",
            purpose="agent",
            model="m",
            step=1,
            prompt_tokens=500,
            completion_tokens=50,
            seconds=0,
            output="unparseable ramble",
        )
        for _ in range(10):
            ledger.record_call(
                run_id="r0",
                purpose="sample",
                model="m",
                step=0,
                prompt_tokens=100,
                completion_tokens=10,
                seconds=0,
            )

    report = _report(_ledger_with(tmp_path, build), "agent", thresholds=Thresholds(flag_share=0.01))
    greedy = _row(report, "greedy")
    assert greedy.waste["unused"] == 550
    assert greedy.waste["oversampling"] == 6 * 110
    assert greedy.waste["context"] == 30_000 - 1000
    # and 31,600 tokens for one unit where the other runs spent 1,010: tokenmaxxing too
    assert {"unused", "oversampling", "context", "tokenmaxxing"} <= set(greedy.flags)
    assert "10 samples (at most 4 needed)" in greedy.evidence["oversampling"][0]
    assert "30x the task's median" in greedy.evidence["context"][0]
    assert _row(report, "calm").flags == ()


def test_tokenmaxxing_flags_ten_times_the_median_for_the_same_work(tmp_path: Path) -> None:
    def build(ledger: Ledger) -> None:
        for i, tokens in enumerate([1000, 1100, 900, 1200, 15_000, 20_000]):
            run = f"r{i}"
            units = 10 if i == 5 else 1  # the last one did ten times the work: not flagged
            ledger.start_run(run_id=run, task="t", agent=f"a{i}", user="u")
            ledger.record_call(
                run_id=run,
                purpose="agent",
                model="m",
                prompt_tokens=tokens,
                completion_tokens=0,
                seconds=0,
                step=0,
                output=f"text {i}",
            )
            ledger.record_action(
                run_id=run,
                step=0,
                kind="answer",
                decision="pass",
                executed=True,
                claims_supported=units,
                claims_total=units,
                summary=f"s{i}",
            )

    report = _report(_ledger_with(tmp_path, build), "agent")
    assert "tokenmaxxing" in _row(report, "a4").flags
    assert _row(report, "a4").excess_tokens == 15_000 - 1150
    assert (
        "13x the median 1150 of 6 runs of task 't'"
        in _row(report, "a4").evidence["tokenmaxxing"][0]
    )
    assert "tokenmaxxing" not in _row(report, "a5").flags
    assert all("tokenmaxxing" not in _row(report, f"a{i}").flags for i in range(4))


def test_repeated_sentences_are_padding_even_with_claims(tmp_path: Path) -> None:
    echo = "The cache holds 512 entries per shard. " * 40

    def build(ledger: Ledger) -> None:
        ledger.record_call(
            run_id="r",
            purpose="imported",
            model="m",
            prompt_tokens=10,
            completion_tokens=400,
            seconds=0,
            output=echo,
        )

    report = _report(_ledger_with(tmp_path, build), "run")
    assert report.rows[0].waste["padding"] == int(400 * 39 / 40)
    assert "39 of 40 sentences repeated" in report.rows[0].evidence["padding"][0]


def test_thresholds_are_parameters(sessions: Path) -> None:
    strict = _report(sessions, thresholds=Thresholds(flag_share=0.0001))
    assert "padding" in _row(strict, "padding").flags
    lax = _report(sessions, thresholds=Thresholds(flag_share=0.99))
    assert all(set(r.flags) <= {"no_verified_work"} for r in lax.rows)


# --------------------------------------------------------------------------- budget & empty


def test_budget_names_the_rows_over_it(sessions: Path) -> None:
    report = _report(sessions, max_tokens_per_unit=1000)
    over = {r.key for r in report.over_budget()}
    assert "concise" not in over and {"padding", "blocked"} <= over
    assert all("over_budget" in r.flags for r in report.rows if r.key in over)
    assert _report(sessions, max_tokens_per_unit=1e9).over_budget() == []


def test_an_empty_ledger_reports_no_rows(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "e.db") as ledger:
        report = build_report(ledger.frames(), "user")
    assert report.rows == [] and report.trend == []
    for fmt in ("text", "json", "md", "html"):
        assert render(report, fmt).endswith("\n")
    assert json.loads(render(report, "json")) == {
        "by": "user",
        "rows": [],
        "categories": list(CATEGORIES),
        "max_tokens_per_unit": None,
    }


def test_bad_grouping_is_refused(sessions: Path) -> None:
    with pytest.raises(ValueError, match="by must be one of"):
        _report(sessions, "planet")


# --------------------------------------------------------------------------- rendering


def test_json_has_the_design_shape(sessions: Path) -> None:
    data = json.loads(render(_report(sessions), "json"))
    assert data["by"] == "agent"
    for row in data["rows"]:
        assert {
            "key",
            "prompt_tokens",
            "completion_tokens",
            "verified_units",
            "units_per_1k_tokens",
            "waste",
            "flags",
        } <= set(row)
        assert isinstance(row["waste"], dict) and set(row["waste"]) == set(CATEGORIES)
        assert all(isinstance(v, int) for v in row["waste"].values())
        assert isinstance(row["flags"], list)
        assert math.isclose(
            row["units_per_1k_tokens"],
            1000 * row["verified_units"] / (row["prompt_tokens"] + row["completion_tokens"]),
            rel_tol=1e-3,
        )
    assert data["rows"][0]["key"] == "concise"


def test_text_and_markdown_show_the_ranking_and_evidence(sessions: Path) -> None:
    report = _report(sessions)
    text = render(report, "text")
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("#"))
    assert lines[header + 1].split()[1] == "concise"
    assert "evidence:" in text and "[loop]" in text
    md = render(report, "md")
    assert "| 1 | concise |" in md and "## Evidence" in md and "`padding`" in md


def test_hostile_keys_are_inert_in_every_format(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>|**x** @admin\x1b[31m\u202e\u2060"

    def build(ledger: Ledger) -> None:
        ledger.start_run(run_id="r", task="t", agent=evil, user=evil)
        ledger.record_call(
            run_id="r", purpose="agent", model="m", prompt_tokens=5, completion_tokens=5, seconds=0
        )

    report = _report(_ledger_with(tmp_path, build), "agent")
    text = render(report, "text")
    assert not {"\x1b", "\u202e", "\u2060"} & set(text)  # hidden characters, shown:
    assert "\\x1b" in text and "\\u202e" in text and "\\u2060" in text
    md = render(report, "md")
    assert "<script>" not in md and "&#124;" in md and "\\*\\*x\\*\\*" in md
    assert "`@admin`" in md  # a GitHub comment notifies nobody
    assert not {"\x1b", "\u202e", "\u2060"} & set(md)
    page = render(report, "html")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert not {"\x1b", "\u202e", "\u2060"} & set(page)  # nor in the plots' labels
    assert json.loads(render(report, "json"))["rows"][0]["key"] == evil.replace(
        "\x1b", "\x1b"
    )  # JSON keeps the exact key; json.dumps escapes what it must


def test_render_refuses_an_unknown_format(sessions: Path) -> None:
    with pytest.raises(ValueError, match="unknown usage format"):
        render(_report(sessions), "pdf")


def test_trend_has_one_point_per_day_and_key(sessions: Path) -> None:
    report = _report(sessions, "agent")
    all_days = report.trend[0]
    assert all_days.key == "all" and len(all_days.days) == 4
    assert sum(all_days.tokens) == sum(r.tokens for r in report.rows)
    assert np.isclose(sum(all_days.units), sum(r.verified_units for r in report.rows))
    assert {s.key for s in report.trend[1:]} == set(AGENTS)
    assert (
        _report(sessions, "run").trend[0].key == "all" and len(_report(sessions, "run").trend) == 1
    )


def test_rows_written_by_batch_and_by_the_runner_api_agree(tmp_path: Path) -> None:
    path = tmp_path / "two.db"
    with Ledger.open(path) as ledger:
        ledger.add(
            [RunRow("b", task="t", agent="batch", user="u")],
            [
                CallRow(
                    "b",
                    "c",
                    purpose="agent",
                    prompt_tokens=100,
                    completion_tokens=20,
                    output="The port is 8443.",
                    step=0,
                )
            ],
            [
                ActionRow(
                    "b",
                    "a",
                    step=0,
                    kind="answer",
                    decision="pass",
                    executed=True,
                    claims_supported=1,
                    claims_total=1,
                    summary="The port is 8443.",
                )
            ],
        )
        ledger.start_run(run_id="api", task="t", agent="api", user="u")
        ledger.record_call(
            run_id="api",
            purpose="agent",
            model="",
            prompt_tokens=100,
            completion_tokens=20,
            seconds=0,
            output="The port is 8443.",
            step=0,
        )
        ledger.record_action(
            run_id="api",
            step=0,
            kind="answer",
            decision="pass",
            executed=True,
            claims_supported=1,
            claims_total=1,
            summary="The port is 8443.",
        )
    report = _report(path, "agent")
    a, b = _row(report, "api"), _row(report, "batch")
    assert (a.tokens, a.verified_units, a.waste) == (b.tokens, b.verified_units, b.waste)
