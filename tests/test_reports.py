"""Tests for ``reports``: every format renders, parses where it is a format, and stays inert.

Outcomes are built by hand; hostile strings go into every field an agent or a corpus can
fill, and hypothesis fills them with arbitrary Unicode (lone surrogates included).
"""

from __future__ import annotations

import ast
import dataclasses
import html
import json
import os
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import junitparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.report_checks import (
    assert_inert_html,
    assert_inert_markdown,
    assert_valid_sarif,
    junit_suite,
)

import reports
from checks.types import Claim, Evidence, Usage, Verdict
from reports import Finding, Outcome
from reports._tempfiles import MAX_AGE

# --------------------------------------------------------------------------- fixtures

TEXT = (
    "The retry timeout is 30 seconds. The client retries 5 times. "
    "Backoff doubles each attempt. The cache lives in Redis."
)


def _claim(cid: str, sentence: str, standalone: str = "") -> Claim:
    start = TEXT.index(sentence)
    return Claim(cid, sentence, start, start + len(sentence), standalone)


EV_TIMEOUT = Evidence("docs/retry.md", 12, 14, "The retry timeout is 60 seconds.", "retry#3")
EV_RETRIES = Evidence("docs/retry.md", 20, 20, "Clients retry 5 times.", "retry#5")

VERDICTS = (
    Verdict(_claim("c1", "The retry timeout is 30 seconds."), "contradicted", 0.04,
            (EV_TIMEOUT,), "The corpus says 60 seconds."),
    Verdict(_claim("c2", "The client retries 5 times."), "supported", 0.93,
            (EV_RETRIES, EV_TIMEOUT), "Stated in retry.md."),
    Verdict(_claim("c3", "Backoff doubles each attempt.", "Retry backoff doubles each attempt."),
            "unverifiable", 0.31, (), "No passage mentions backoff."),
    Verdict(_claim("c4", "The cache lives in Redis."), "error", 0.0, (), "judge timed out"),
)  # fmt: skip

FINDINGS = (
    Finding("code/unknown-symbol", "block", "src/app.py", 3, "`fetch_all` is not defined"),
    Finding("code/unknown-symbol", "block", "src/app.py", 9, "`retry_forever` is not defined"),
    Finding("docs/stale-claim", "warn", "README.md", 0, "statement not checked", (EV_TIMEOUT,)),
    Finding("code/unknown-symbol", "warn", "src/my file.py", 4, "maybe undefined"),
)

STEPS = [
    {
        "action": {"action": "write_file", "path": "notes.md", "content": "x = 1\n", "reason": "r"},
        "decision": "block",
        "executed": False,
        "claims": [VERDICTS[0].to_json()],
    },
    {
        "action": {"action": "run_command", "argv": ["pytest", "-q"], "reason": "test"},
        "decision": "pass",
        "executed": True,
        "claims": [VERDICTS[1].to_json()],
    },
]


def make_outcome(**changes: Any) -> Outcome:
    fields: dict[str, Any] = {
        "verdicts": VERDICTS,
        "decision": "block",
        "findings": FINDINGS,
        "usage": Usage(1200, 345),
        "text": TEXT,
        "extra": {"steps": STEPS, "tokens_per_verified_action": 772.5, "agent": "smollm2"},
    }
    fields.update(changes)
    return Outcome(**fields)


#: Text an agent (or a poisoned corpus) might produce to break out of a report.
HOSTILE = [
    "<script>alert(1)</script>",
    "</textarea><script>alert(2)</script>",
    '"><img src=x onerror=alert(3)>',
    "' onmouseover='alert(4)",
    "[click me](javascript:alert(5)) ![pixel](https://evil.example/p.png)",
    "<https://evil.example> www.evil.example mail@evil.example",
    "| pipes | break | tables |",
    "```\ncode fence\n``` and `tick`",
    "**bold** _em_ ~~strike~~ # heading\n- list\n> quote",
    "@octocat and @github/security please look",
    "]]> <![CDATA[ x ]]> &amp; &lt; &#x3c;",
    "control \x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x1f\x7f\x85 end",
    "ansi \x1b[2J\x1b[31mred\r overwritten",
    "bidi \u202eevil\u202c and \u2066isolate\u2069",
    "zero\u200bwidth\u200c\u200d\ufeff joiners",
    "line\u2028separator\u2029paragraph",
    "tag chars \U000e0041\U000e0042 and nonchar \ufffe\uffff",
    "lone surrogate \udc80 here",
]
HOSTILE_ALL = " ".join(HOSTILE)
#: Characters that must never reach a report raw (a visible escape stands in for them).
HIDDEN = "\x00\x01\x08\x0b\x0c\x1b\x7f\x85\r\u202e\u2066\u200b\u200d\ufeff\u2028\u2029\ufffe\udc80"


def hostile_outcome() -> Outcome:
    text = f"Intro {HOSTILE_ALL} middle {HOSTILE_ALL} end"
    verdicts = []
    for n, (label, bad) in enumerate(
        zip(["supported", "contradicted", "unverifiable", "error"] * 5, HOSTILE, strict=False)
    ):
        start = text.index(bad)
        ev = Evidence(f"docs/{bad}.md", n + 1, n + 2, bad, bad)
        claim = Claim(f"id {bad}", bad, start, start + len(bad), standalone=f"{bad}!")
        verdicts.append(Verdict(claim, label, 0.5, (ev,), bad))  # type: ignore[arg-type]
    findings = tuple(
        Finding(bad, "block" if n % 2 else "warn", bad, n, bad, (Evidence(bad, 1, 1, bad, bad),))
        for n, bad in enumerate(HOSTILE)
    )
    steps = [
        {"action": {"action": bad, "path": bad, "content": bad}, "decision": bad,
         "executed": True, "claims": [v.to_json() for v in verdicts[:2]]}
        for bad in HOSTILE[:4]
    ]  # fmt: skip
    extra: dict[str, Any] = {"steps": steps, HOSTILE_ALL: HOSTILE_ALL, "nested": {"k": HOSTILE}}
    return Outcome(tuple(verdicts), "block", findings, Usage(1, 2), text, extra)


# --------------------------------------------------------------------------- the public face


def test_public_api() -> None:
    assert reports.__all__ == [
        "DEFAULT_VERSION",
        "FORMATS",
        "JSON",
        "DiffHunk",
        "DiffLine",
        "Finding",
        "Outcome",
        "Renderer",
        "escape_html",
        "escape_markdown",
        "formats",
        "is_temp_name",
        "register_format",
        "render",
        "reveal",
        "sweep_temp",
        "temp_name",
        "write_atomic",
    ]
    assert reports.FORMATS == ("text", "json", "md", "html", "junit", "sarif")


@pytest.mark.parametrize("fmt", reports.FORMATS)
def test_every_format_renders_every_field(fmt: str) -> None:
    out = reports.render(make_outcome(), fmt)
    assert isinstance(out, str) and out.endswith("\n")
    out.encode("utf-8")
    for v in VERDICTS[1:]:  # the one supported claim is no SARIF result
        assert v.label in out or (fmt == "sarif" and v.label == "supported")
    assert "The retry timeout is 30 seconds" in out
    if fmt in ("text", "md", "html", "junit"):
        assert "docs/retry.md:12" in out.replace("\\", "")
        assert "No passage mentions backoff" in out


def test_unknown_format_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown report format 'pdf'") as info:
        reports.render(make_outcome(), "pdf")
    for fmt in reports.FORMATS:
        assert fmt in str(info.value)


def test_reports_imports_only_the_result_types() -> None:
    """The layering rule: ``reports`` sees ``checks.types`` and the standard library only."""
    folder = Path(reports.__file__).parent
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                ok = top in sys.stdlib_module_names or top == "reports" or name == "checks.types"
                assert ok, f"{path.name} imports {name}"


# --------------------------------------------------------------------------- text


def test_text_lists_claims_findings_and_summary() -> None:
    out = reports.render(make_outcome(), "text")
    assert "\x1b" not in out
    assert "[contradicted] c1: The retry timeout is 30 seconds.  (score 0.04)" in out
    assert "reason: The corpus says 60 seconds." in out
    assert "evidence docs/retry.md:12:" in out and "> The retry timeout is 60 seconds." in out
    assert "checked as: Retry backoff doubles each attempt." in out
    assert "BLOCK code/unknown-symbol  src/app.py:3  `fetch_all` is not defined" in out
    assert "WARN docs/stale-claim  README.md:0" in out
    assert "1. write_file notes.md -> block, not executed (1 contradicted)" in out
    assert "2. run_command pytest -q -> pass, executed (1 supported)" in out
    assert "tokens_per_verified_action: 772.5" in out
    last = out.rstrip("\n").splitlines()[-1]
    assert last == (
        "1 supported, 1 contradicted, 1 unverifiable, 1 error | findings: 2 block, 2 warn"
        " | decision: BLOCK | tokens: 1200 prompt + 345 completion = 1545"
    )


def test_text_colours_claims_by_verdict() -> None:
    out = reports.render(make_outcome(), "text", color=True)
    assert "\x1b[31mThe retry timeout is 30 seconds.\x1b[0m" in out
    assert "\x1b[32mThe client retries 5 times.\x1b[0m" in out
    assert "\x1b[33mBackoff doubles each attempt.\x1b[0m" in out
    assert "\x1b[35mThe cache lives in Redis.\x1b[0m" in out
    assert "decision: \x1b[1;31mBLOCK\x1b[0m" in out


def test_text_never_passes_control_characters_to_the_terminal() -> None:
    out = reports.render(hostile_outcome(), "text")
    assert not set(HIDDEN) & set(out)
    assert "ansi \\x1b[2J\\x1b[31mred\\x0d overwritten" in out
    assert "bidi \\u202eevil" in out


# --------------------------------------------------------------------------- json


def test_json_is_exactly_the_outcome() -> None:
    outcome = make_outcome()
    out = reports.render(outcome, "json")
    expected = json.dumps(outcome.to_json(), indent=2, sort_keys=False, ensure_ascii=False)
    assert out == expected + "\n"
    doc = json.loads(out)
    assert doc == outcome.to_json()
    assert list(doc)[:4] == ["decision", "claims", "summary", "usage"]
    assert set(doc) >= {"decision", "claims", "summary", "usage", "findings", "steps"}
    claim = doc["claims"][0]
    assert set(claim) >= {"id", "text", "verdict", "score", "evidence", "reason"}
    assert set(claim["evidence"][0]) >= {"source", "start_line", "end_line", "quote", "chunk_id"}
    assert set(doc["findings"][0]) >= {"rule", "severity", "path", "line", "message"}
    assert set(doc["steps"][0]) >= {"action", "decision", "executed", "claims"}
    assert doc["summary"] == {"supported": 1, "contradicted": 1, "unverifiable": 1, "error": 1}
    assert doc["usage"] == {"prompt_tokens": 1200, "completion_tokens": 345}


def test_json_escapes_hidden_characters_but_round_trips() -> None:
    outcome = hostile_outcome()
    out = reports.render(outcome, "json")
    assert not set(HIDDEN) & set(out)
    assert "\\u202e" in out and "\\udb40\\udc41" in out  # bidi override, a tag character
    cafe = Verdict(Claim("c", "café", 0, 4), "supported", 1.0)
    assert '"text": "café"' in reports.render(make_outcome(verdicts=(cafe,)), "json")
    assert json.loads(out) == outcome.to_json()
    out.encode("utf-8")


# --------------------------------------------------------------------------- markdown


def test_markdown_fits_a_pull_request_comment() -> None:
    out = reports.render(make_outcome(), "md", title="verify gate")
    assert out.startswith("## ⛔ block — verify gate\n")
    assert reports.render(make_outcome(decision="pass"), "md").startswith("## ✅ pass")
    assert "| 1 | 1 | 1 | 1 | 4 (2 block) | 1545 (1200 prompt + 345 completion) |" in out
    rendered = assert_inert_markdown(out)
    for heading in ("Claims", "Findings", "Steps", "Run"):
        assert f"<h3>{heading}</h3>" in rendered
    assert (
        "<td>contradicted (0.04)</td>\n<td>The retry timeout is 30 seconds.</td>\n"
        "<td>docs/retry.md:12</td>\n<td>The corpus says 60 seconds.</td>"
    ) in rendered
    assert "<td>docs/retry.md:20<br>docs/retry.md:12</td>" in rendered
    assert "<td>code/unknown-symbol</td>\n<td>src/app.py:3</td>" in rendered
    assert "<code>fetch_all</code>" not in rendered  # a backtick from a message stays text
    assert "<td>tokens_per_verified_action</td>\n<td>772.5</td>" in rendered


def test_markdown_agent_text_cannot_inject() -> None:
    out = reports.render(hostile_outcome(), "md", title=HOSTILE[0])
    rendered = assert_inert_markdown(out)
    assert "<script" not in rendered and "<img" not in rendered and "<a " not in rendered
    assert "<em>" not in rendered and "<strong>" not in rendered
    assert not set(HIDDEN) & set(out)
    assert "<code>\\u202e</code>" in rendered and "<code>\\u200b</code>" in rendered
    assert "<code>@octocat</code>" in rendered and "<code>@github/security</code>" in rendered
    # the text is all there, as text
    assert html.escape("[click me](javascript:alert(5))", quote=False) in rendered
    assert "| pipes | break | tables |" in rendered
    assert "<br>code fence<br>" in rendered


def test_markdown_stays_under_the_comment_limit() -> None:
    claim = Claim("c", "x" * 200, 0, 200)
    many = tuple(Verdict(claim, "unverifiable", 0.1, (), "y" * 200) for _ in range(2000))
    out = reports.render(make_outcome(verdicts=many, text=""), "md")
    assert len(out) <= 65_536
    assert re.search(r"\*\d+ more claims not shown; see the full report\.\*", out)
    assert_inert_markdown(out)


# --------------------------------------------------------------------------- html


def test_html_is_a_self_contained_page() -> None:
    out = reports.render(make_outcome(), "html", title="verify check")
    assert out.startswith("<!doctype html>")
    assert "http://" not in out and "https://" not in out and "<link" not in out
    assert "Content-Security-Policy" in out and "default-src 'none'" in out
    assert "<title>verify check — block</title>" in out
    assert "⛔ block" in out and "1545 tokens" in out
    assert_inert_html(out)


def test_html_highlights_each_claim_in_the_text() -> None:
    out = reports.render(make_outcome(), "html")
    for n, v in enumerate(VERDICTS):
        assert f'<mark id="span-{n}" class="v-{v.label}"' in out
        assert f'<a href="#claim-{n}">{v.claim.text}</a></mark>' in out
        assert f'<article class="card v-{v.label}" id="claim-{n}">' in out
    assert 'title="contradicted (0.04): The corpus says 60 seconds."' in out
    assert '<span style="width:93.0%">' in out  # the score bar
    assert '<span class="loc">docs/retry.md:12</span>' in out
    assert "<blockquote>The retry timeout is 60 seconds.</blockquote>" in out
    assert "checked as: Retry backoff doubles each attempt." in out
    # the text between the claims is there as well, in order
    plain = re.sub(r"<[^>]+>", "", out.split('<div class="text">')[1].split("</div>")[0])
    assert html.unescape(plain) == TEXT


def test_html_shows_findings_steps_and_usage() -> None:
    out = reports.render(make_outcome(), "html")
    assert '<td class="loc">src/app.py:9</td><td>`retry_forever` is not defined</td>' in out
    assert "<h2>Steps</h2>" in out
    assert "<strong>1. write_file</strong>" in out and "not executed" in out
    assert "<code>pytest -q</code>" in out
    assert "<tr><th>tokens_per_verified_action</th><td>772.5</td></tr>" in out
    assert "<tr><th>prompt tokens</th><td>1200</td></tr>" in out
    assert "<tr><th>completion tokens</th><td>345</td></tr>" in out


def test_html_skips_spans_it_cannot_place() -> None:
    bad = (
        Verdict(Claim("a", "x", 5, 2), "supported", 1.0),  # reversed
        Verdict(Claim("b", "x", 0, 10_000), "supported", 1.0),  # past the end
        Verdict(Claim("c", "The retry", 0, 9), "contradicted", 0.0),
        Verdict(Claim("d", "retry timeout", 4, 17), "supported", 1.0),  # overlaps c
    )
    out = reports.render(make_outcome(verdicts=bad), "html")
    assert re.findall(r'<mark id="span-(\d+)"', out) == ["2"]
    assert out.count('<article class="card') == len(bad) + len(STEPS)
    assert 'href="#span-0"' not in out and 'href="#span-2"' in out


def test_html_agent_text_cannot_inject() -> None:
    out = reports.render(hostile_outcome(), "html", title=HOSTILE[2])
    assert_inert_html(out)
    low = out.lower()
    for needle in ("<script", "</textarea", "<img", "<![cdata["):
        assert needle not in low
    assert "&quot;&gt;&lt;img src=x onerror=alert(3)&gt;" in out  # there, as text
    assert not set(HIDDEN) & set(out)
    assert '<span class="cc" title="hidden character">\\u202e</span>' in out
    assert '<span class="cc" title="hidden character">\\u200b</span>' in out
    out.encode("utf-8")


# --------------------------------------------------------------------------- junit


def test_junit_parses_and_counts_failures() -> None:
    out = reports.render(make_outcome(), "junit")
    ET.fromstring(out.encode("utf-8"))
    suite = junit_suite(out)
    assert suite.name == "verify"
    cases = list(suite)
    # 4 claims; findings grouped by (rule, path): app.py, README.md, "my file.py"
    assert len(cases) == 4 + 3 and suite.tests == 7
    failed = {c.name: [r for r in c.result if isinstance(r, junitparser.Failure)] for c in cases}
    assert [len(failed[c.name]) for c in cases] == [1, 0, 1, 1, 2, 0, 0]
    assert suite.failures == 5 and suite.errors == 0
    # junitparser recounts from the cases: the same numbers
    suite.update_statistics()  # type: ignore[no-untyped-call]
    assert (suite.tests, suite.failures, suite.errors) == (7, 5, 0)
    first = cases[0]
    assert first.classname == "claims" and first.name.startswith("c1 The retry timeout")
    failure = failed[first.name][0]
    assert failure.type == "contradicted"
    assert failure.message == "contradicted: The corpus says 60 seconds."
    assert "evidence docs/retry.md:12: The retry timeout is 60 seconds." in failure.text
    group = cases[4]
    assert (group.classname, group.name) == ("findings", "code/unknown-symbol src/app.py")
    assert [f.message for f in failed[group.name]] == [
        "src/app.py:3: `fetch_all` is not defined",
        "src/app.py:9: `retry_forever` is not defined",
    ]
    assert "warn README.md:0: statement not checked" in out


def test_junit_passing_outcome_has_no_failures() -> None:
    supported = tuple(v for v in VERDICTS if v.label == "supported")
    out = reports.render(make_outcome(verdicts=supported, findings=(), decision="pass"), "junit")
    suite = junit_suite(out)
    assert (suite.tests, suite.failures) == (1, 0)


def test_junit_agent_text_stays_parseable_xml() -> None:
    out = reports.render(hostile_outcome(), "junit", title=HOSTILE[10])
    root = ET.fromstring(out.encode("utf-8"))
    suite = junit_suite(out)
    assert suite.failures == sum(len(c.findall("failure")) for c in root.iter("testcase"))
    assert "]]>" not in out and "<script" not in out and "<![CDATA[" not in out
    assert not set(HIDDEN) & set(out)
    # what the agent wrote is still there, readable
    texts = " ".join(e.text or "" for e in root.iter() if e.tag in ("failure", "system-out"))
    assert "<script>alert(1)</script>" in texts
    assert "control \\x00\\x01" in texts and "bidi \\u202eevil" in texts


# --------------------------------------------------------------------------- sarif


def test_sarif_validates_and_maps_results() -> None:
    log = json.loads(reports.render(make_outcome(), "sarif", version="1.2.3"))
    assert_valid_sarif(log)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("verify", "1.2.3")
    rules = [r["id"] for r in driver["rules"]]
    assert rules == [
        "code/unknown-symbol",
        "docs/stale-claim",
        "claim/contradicted",
        "claim/unverifiable",
        "claim/error",
    ]
    for rule in driver["rules"]:
        assert {"shortDescription", "fullDescription", "help", "defaultConfiguration"} <= set(rule)
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in driver["rules"]}
    assert levels["code/unknown-symbol"] == "error" and levels["docs/stale-claim"] == "warning"
    results = run["results"]
    assert len(results) == len(FINDINGS) + 3  # supported claims are not results
    for r in results:
        assert driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
        for loc in r.get("locations", []):
            region = loc["physicalLocation"].get("region", {"startLine": 1})
            assert region["startLine"] >= 1
    by_rule = {r["ruleId"]: r for r in results}
    finding = results[0]
    assert finding["level"] == "error" and finding["message"]["text"] == FINDINGS[0].message
    phys = finding["locations"][0]["physicalLocation"]
    assert phys == {"artifactLocation": {"uri": "src/app.py"}, "region": {"startLine": 3}}
    assert results[2]["level"] == "warning"
    assert "region" not in results[2]["locations"][0]["physicalLocation"]  # line 0: whole file
    assert results[3]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "src/my%20file.py"
    )
    contradicted = by_rule["claim/contradicted"]
    assert contradicted["level"] == "error"
    assert contradicted["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "docs/retry.md"},
        "region": {"startLine": 12, "endLine": 14},
    }
    assert contradicted["properties"]["claimId"] == "c1"
    # no evidence: placed at the documented stand-in, since code scanning needs a location
    (where,) = by_rule["claim/unverifiable"]["locations"]
    assert where["physicalLocation"]["artifactLocation"]["uri"] == "verify-unlocated"
    assert run["properties"]["decision"] == "block"


def test_sarif_warns_for_claims_a_passing_policy_allowed() -> None:
    log = json.loads(reports.render(make_outcome(decision="pass", findings=()), "sarif"))
    assert_valid_sarif(log)
    (run,) = log["runs"]
    assert run["tool"]["driver"]["version"] == reports.DEFAULT_VERSION
    assert {r["level"] for r in run["results"]} == {"warning"}


def test_sarif_and_junit_mark_what_the_deciding_policy_blocks_not_the_default() -> None:
    """Under ``--block contradicted`` an unverifiable claim did not block: a warning, no
    failure; the contradicted one still is an error and a failure."""
    outcome = dataclasses.replace(
        make_outcome(findings=()), blocking=frozenset({"contradicted", "error"})
    )
    levels = {
        r["properties"]["claimId"]: r["level"]
        for r in json.loads(reports.render(outcome, "sarif"))["runs"][0]["results"]
    }
    labels = {v.claim.id: v.label for v in outcome.verdicts}
    assert {labels[c]: level for c, level in levels.items()} == {
        "contradicted": "error",
        "unverifiable": "warning",
        "error": "error",
    }
    failed = {
        case.name
        for case in junit_suite(reports.render(outcome, "junit"))
        if any(isinstance(r, junitparser.Failure) for r in case.result)
    }
    default = {
        case.name
        for case in junit_suite(reports.render(make_outcome(findings=()), "junit"))
        if any(isinstance(r, junitparser.Failure) for r in case.result)
    }
    assert failed < default  # the unverifiable claim fails only under the default policy


def test_sarif_lists_repeated_evidence_once() -> None:
    twice = (EV_TIMEOUT, EV_TIMEOUT, EV_RETRIES)
    v = Verdict(VERDICTS[0].claim, "contradicted", 0.1, twice, "twice")
    f = Finding("docs/stale-claim", "warn", "README.md", 2, "again", twice)
    log = json.loads(reports.render(make_outcome(verdicts=(v,), findings=(f,)), "sarif"))
    assert_valid_sarif(log)
    for result in log["runs"][0]["results"]:
        assert len(result["relatedLocations"]) == 2


def test_sarif_empty_outcome_validates() -> None:
    log = json.loads(reports.render(Outcome((), "pass"), "sarif"))
    assert_valid_sarif(log)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_sarif_agent_text_validates_and_is_visible() -> None:
    out = reports.render(hostile_outcome(), "sarif")
    assert not set(HIDDEN) & set(out)
    log = json.loads(out)
    assert_valid_sarif(log)
    messages = [r["message"]["text"] for r in log["runs"][0]["results"]]
    assert any("bidi \\u202eevil" in m for m in messages)  # shown, not obeyed
    for r in log["runs"][0]["results"]:
        for loc in r.get("locations", []):
            uri = loc["physicalLocation"]["artifactLocation"]["uri"]
            assert re.fullmatch(r"[A-Za-z0-9%/._~-]*", uri), uri


# --------------------------------------------------------------------------- hypothesis

ANY_CHAR = st.one_of(
    st.characters(),
    st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"]),
    st.sampled_from(list("<>&\"'|`[]*_\\!@#:\n\r\t")),
)
ANY_TEXT = st.text(ANY_CHAR, max_size=40)


@st.composite
def outcomes(draw: st.DrawFn) -> Outcome:
    text = draw(ANY_TEXT)

    def evidence() -> st.SearchStrategy[Evidence]:
        lines = st.integers(-3, 10**6)
        return st.builds(Evidence, ANY_TEXT, lines, lines, ANY_TEXT, ANY_TEXT)

    claims = st.builds(
        Claim, ANY_TEXT, ANY_TEXT, st.integers(-2, 50), st.integers(-2, 50), ANY_TEXT
    )
    verdicts = st.builds(
        Verdict,
        claims,
        st.sampled_from(["supported", "contradicted", "unverifiable", "error"]),
        st.floats(0, 1),
        st.lists(evidence(), max_size=2).map(tuple),
        ANY_TEXT,
    )
    findings = st.builds(
        Finding,
        ANY_TEXT,
        st.sampled_from(["block", "warn"]),
        ANY_TEXT,
        st.integers(-3, 10**6),
        ANY_TEXT,
        st.lists(evidence(), max_size=1).map(tuple),
    )
    step = st.fixed_dictionaries(
        {
            "action": st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=3),
            "decision": ANY_TEXT,
            "executed": st.booleans(),
            "claims": st.lists(verdicts.map(Verdict.to_json), max_size=2),
        }
    )
    extra: dict[str, Any] = draw(
        st.dictionaries(ANY_TEXT.filter(lambda k: k != "steps"), ANY_TEXT, max_size=2)
    )
    if draw(st.booleans()):
        extra["steps"] = draw(st.lists(step, max_size=2))
    return Outcome(
        verdicts=tuple(draw(st.lists(verdicts, max_size=4))),
        decision=draw(st.sampled_from(["pass", "block"])),
        findings=tuple(draw(st.lists(findings, max_size=3))),
        usage=Usage(draw(st.integers(0, 10**9)), draw(st.integers(0, 10**9))),
        text=text,
        extra=extra,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(outcome=outcomes(), title=ANY_TEXT)
def test_any_text_renders_in_every_format(outcome: Outcome, title: str) -> None:
    for fmt in reports.FORMATS:
        out = reports.render(outcome, fmt, title=title)
        out.encode("utf-8")  # no lone surrogate left: the report can be written
        assert not set(HIDDEN) & set(out), fmt
    reports.render(outcome, "text", title=title, color=True).encode("utf-8")
    assert json.loads(reports.render(outcome, "json")) == outcome.to_json()
    assert_valid_sarif(json.loads(reports.render(outcome, "sarif")))
    junit = reports.render(outcome, "junit", title=title)
    ET.fromstring(junit.encode("utf-8"))
    suite = junit_suite(junit)
    failures = suite.failures
    suite.update_statistics()  # type: ignore[no-untyped-call]
    assert suite.failures == failures
    assert_inert_html(reports.render(outcome, "html", title=title))
    assert_inert_markdown(reports.render(outcome, "md", title=title))


# --------------------------------------------------------------------------- write_atomic


def test_write_atomic_writes_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    reports.write_atomic(target, "first ✅\n")
    reports.write_atomic(target, "second ⛔\r\n")
    assert target.read_bytes() == "second ⛔\r\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_atomic_new_file_follows_umask_and_old_keeps_its_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        reports.write_atomic(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644
    private = tmp_path / "private.txt"
    private.write_text("old")
    private.chmod(0o600)
    reports.write_atomic(private, "new")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and private.read_text() == "new"


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
def test_write_atomic_failure_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    target = tmp_path / "report.json"
    target.write_text("old report")
    seen: list[int] = []

    def failing_fsync(fd: int) -> None:
        seen.append(os.fstat(fd).st_size)  # the data is in the temp file, half-way done
        raise exc

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(type(exc)):
        reports.write_atomic(target, "new report " * 10_000)
    assert seen and seen[0] > 0
    assert target.read_text() == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def _dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


def test_sweep_removes_only_our_temp_files_whose_writer_is_gone_or_that_are_old(
    tmp_path: Path,
) -> None:
    dead = _dead_pid()
    live = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                            stdin=subprocess.PIPE)  # fmt: skip
    try:
        names = {
            "dead": f".verify-{dead}-0123456789ab.tmp",
            "live": f".verify-{live.pid}-0123456789ab.tmp",
            "mine": reports.temp_name(),  # this process: alive
            "old": f".verify-{live.pid}-ba9876543210.tmp",
            # not ours: other names, other forms of ours, and the report itself
            "report": "report.json",
            "theirs": f".report.json.{dead}.tmp",
            "upper": f".verify-{dead}-0123456789AB.tmp",
            "short": f".verify-{dead}-0123.tmp",
            "suffix": f".verify-{dead}-0123456789ab.tmp.bak",
            "zero": ".verify-0-0123456789ab.tmp",
        }
        for name in names.values():
            (tmp_path / name).write_text("x", encoding="utf-8")
        old = tmp_path / names["old"]
        back = old.stat().st_mtime - 2 * MAX_AGE
        os.utime(old, (back, back))
        # a folder and a link with our form of name, its writer dead: not what we make
        (tmp_path / f".verify-{dead}-aaaaaaaaaaaa.tmp").mkdir()
        (tmp_path / f".verify-{dead}-bbbbbbbbbbbb.tmp").symlink_to(tmp_path / "report.json")
        assert reports.sweep_temp(tmp_path) == 2
        left = {p.name for p in tmp_path.iterdir()}
        assert left == (set(names.values()) - {names["dead"], names["old"]}) | {
            f".verify-{dead}-aaaaaaaaaaaa.tmp",
            f".verify-{dead}-bbbbbbbbbbbb.tmp",
        }
        # the same rule through an open folder (how the agent's workspace calls it)
        (tmp_path / names["dead"]).write_text("x", encoding="utf-8")
        fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            assert reports.sweep_temp(fd) == 1
        finally:
            os.close(fd)
        assert not (tmp_path / names["dead"]).exists() and (tmp_path / names["live"]).exists()
    finally:
        live.communicate(b"")
    assert reports.sweep_temp(tmp_path / "missing") == 0  # never raises
    assert all(reports.is_temp_name(reports.temp_name()) for _ in range(20))


def test_write_atomic_clears_what_a_killed_writer_left(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    left = tmp_path / f".verify-{_dead_pid()}-0123456789ab.tmp"
    left.write_text('{"half": ', encoding="utf-8")
    reports.write_atomic(target, "{}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_write_atomic_failure_during_the_write_itself(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old report")
    # the encoder fails after the first buffers are already out: a real partial write
    with pytest.raises(UnicodeEncodeError):
        reports.write_atomic(target, "a" * 200_000 + "\udc80")
    assert target.read_text() == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_write_atomic_failed_rename_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.sarif"
    target.write_text("old report")

    def failing_replace(self: Path, other: Path) -> Path:
        raise PermissionError("rename refused")

    monkeypatch.setattr(Path, "replace", failing_replace)
    with pytest.raises(PermissionError):
        reports.write_atomic(target, "new")
    assert target.read_text() == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.sarif"]


def test_html_says_why_a_step_was_blocked() -> None:
    step = {
        "action": {"action": "write_file", "path": "notes/a.md"},
        "decision": "block",
        "executed": False,
        "claims": [],
        "result": "blocked: <b>30 days</b> contradicts",
    }
    page = reports.render(Outcome((), "block", extra={"steps": [step]}), "html")
    assert "blocked: &lt;b&gt;30 days&lt;/b&gt; contradicts" in page
    assert "<b>30 days" not in page
