"""Claim extraction: sentence splitting, compound splitting, skip reasons, span invariants."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.extraction import REASONS, Extraction, extract_claims, split_sentences

#: answers about an invented service, each with the sentences it splits into (the same
#: shape as internal-dev's answers, measured in benchmarks/extraction_bench.py)
ANSWERS = Path(__file__).parent / "data" / "alignment" / "answers.jsonl"


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def claim_texts(text: str) -> list[str]:
    return [c.text for c in extract_claims(text).claims]


def reasons(text: str) -> list[str]:
    return [s.reason for s in extract_claims(text).skipped]


# --- sentence splitting -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Call `a.b()` first. Then `x. y` works.",
            ["Call `a.b()` first.", "Then `x. y` works."],
            id="inline-code",
        ),
        pytest.param(
            "Edit src/app.py. The config is /etc/ferro/app.yaml. Run ./run.sh to start.",
            ["Edit src/app.py.", "The config is /etc/ferro/app.yaml.", "Run ./run.sh to start."],
            id="paths",
        ),
        pytest.param(
            "Docs are at https://example.com/a.b?c=d. The API lives at www.example.com/v2.",
            ["Docs are at https://example.com/a.b?c=d.", "The API lives at www.example.com/v2."],
            id="urls",
        ),
        pytest.param(
            "We run v3.14.2 today. Pin 1.2.x for now. It needs 1.5 GB of RAM.",
            ["We run v3.14.2 today.", "Pin 1.2.x for now.", "It needs 1.5 GB of RAM."],
            id="versions-decimals",
        ),
        pytest.param(
            "Use a cache, e.g. Redis, i.e. in memory. Compare A vs. B. It takes approx. 5 min.",
            [
                "Use a cache, e.g. Redis, i.e. in memory.",
                "Compare A vs. B.",
                "It takes approx. 5 min.",
            ],
            id="latin-abbreviations",
        ),
        pytest.param(
            "Dr. Smith owns No. 5 in the U.S. The team is here. The U.S. Army agrees.",
            ["Dr. Smith owns No. 5 in the U.S.", "The team is here.", "The U.S. Army agrees."],
            id="titles-and-acronyms",
        ),
        pytest.param(
            "Logs, traces, metrics, etc. are kept. We keep logs, traces, etc. The rest is dropped.",
            [
                "Logs, traces, metrics, etc. are kept.",
                "We keep logs, traces, etc.",
                "The rest is dropped.",
            ],
            id="etc",
        ),
        pytest.param(
            "Wait... what happened? It failed... Then it recovered.",
            ["Wait... what happened?", "It failed...", "Then it recovered."],
            id="ellipses",
        ),
        pytest.param(
            "The job\nruns nightly\nat 02:00. It takes\n5 minutes.",
            ["The job\nruns nightly\nat 02:00.", "It takes\n5 minutes."],
            id="newlines-inside-paragraph",
        ),
        pytest.param(
            'He said "stop." Then he left. (See below.) Done here.',
            ['He said "stop."', "Then he left.", "(See below.)", "Done here."],
            id="closing-quotes-and-brackets",
        ),
        pytest.param(
            "A.C. Milan won. J. R. R. Tolkien wrote it. Lochner v. New York was decided.",
            ["A.C. Milan won.", "J. R. R. Tolkien wrote it.", "Lochner v. New York was decided."],
            id="initials",
        ),
        pytest.param(
            "quillmark-api and ledger-sync use the SDK. verify-api uses quill-jvm.",
            ["quillmark-api and ledger-sync use the SDK.", "verify-api uses quill-jvm."],
            id="lower-case-identifier-starts-a-sentence",
        ),
    ],
)
def test_split_sentences_hard_cases(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_markdown_units() -> None:
    text = (
        "# Retries\n\n"
        "The client\nretries twice. It backs off.\n\n"
        "- first item. Second sentence.\n"
        "* second item\n"
        "1. numbered one\n"
        "2) numbered two\n\n"
        "| Key | Default |\n|---|---|\n| `cart.ttl_hours` | 72 |\n\n"
        "> Quoted text here.\n"
        "## Closing ##\n"
    )
    assert sentences(text) == [
        "Retries",
        "The client\nretries twice.",
        "It backs off.",
        "first item.",
        "Second sentence.",
        "second item",
        "numbered one",
        "numbered two",
        "Key | Default",
        "`cart.ttl_hours` | 72",
        "Quoted text here.",
        "Closing",
    ]


def test_fenced_code_is_not_a_sentence() -> None:
    text = "Config:\n```yaml\nport: 8081. retries: 2\n```\nAfter the code.\n~~~\nunclosed. fence"
    assert sentences(text) == ["Config:", "After the code."]
    code = [s for s in extract_claims(text).skipped if s.reason == "code"]
    assert [c.text for c in code] == [
        "```yaml\nport: 8081. retries: 2\n```",
        "~~~\nunclosed. fence",
    ]


def test_a_line_ending_in_a_colon_ends_its_sentence() -> None:
    assert sentences("The ports are:\n8081 and 8082.") == ["The ports are:", "8081 and 8082."]


def test_answers_split_into_their_gold_sentences() -> None:
    rows = [json.loads(line) for line in ANSWERS.read_text(encoding="utf-8").splitlines() if line]
    assert len(rows) >= 6
    missed = {
        r["id"]: sentences(r["answer"])
        for r in rows
        if sentences(r["answer"]) != [g["sentence"] for g in r["gold"]]
    }
    assert not missed


# --- compound splitting ---------------------------------------------------------------------


def test_compound_with_pronoun_gets_the_subject_back() -> None:
    text = "The timeout is 30s and it retries 5 times."
    first, second = extract_claims(text).claims
    assert (first.text, first.standalone) == ("The timeout is 30s", "")
    assert (second.text, second.standalone) == ("it retries 5 times", "The timeout retries 5 times")
    assert text[second.start : second.end] == second.text
    assert second.check_text == "The timeout retries 5 times"


def test_compound_without_subject_borrows_it() -> None:
    first, second = extract_claims("X is 30s and retries 5 times.").claims
    assert first.text == "X is 30s"
    assert (second.text, second.standalone) == ("retries 5 times", "X retries 5 times")


@pytest.mark.parametrize(
    ("text", "parts", "standalones"),
    [
        (
            "The team lead is Ines Moreau and the deputy is Tobias Lund.",
            ["The team lead is Ines Moreau", "the deputy is Tobias Lund"],
            ["", ""],
        ),
        (
            "The envelope-sweeper runs every 90 seconds and releases expired drafts.",
            ["The envelope-sweeper runs every 90 seconds", "releases expired drafts"],
            ["", "The envelope-sweeper releases expired drafts"],
        ),
        (
            "Signers can do this without a token, but must post in #signing-ops.",
            ["Signers can do this without a token", "must post in #signing-ops"],
            ["", "Signers must post in #signing-ops"],
        ),
        (
            "Operators must drain the worker and restart it before a deploy.",
            ["Operators must drain the worker", "restart it before a deploy"],
            ["", "Operators must restart it before a deploy"],
        ),
        (
            "Carts are stored in Redis and backed up nightly to checkout_db.",
            ["Carts are stored in Redis", "backed up nightly to checkout_db"],
            ["", "Carts are backed up nightly to checkout_db"],
        ),
        (
            "Key requests must be approved within 4 hours, and a backup approver "
            "named within 8 hours.",
            [
                "Key requests must be approved within 4 hours",
                "a backup approver named within 8 hours",
            ],
            ["", "a backup approver must be named within 8 hours"],
        ),
        (
            "quillmark-api listens on 7443 and ledger-sync on 7446.",
            ["quillmark-api listens on 7443", "ledger-sync on 7446"],
            ["", "ledger-sync listens on 7446"],
        ),
        (
            "The API is fast, whereas the batch export is slow.",
            ["The API is fast", "the batch export is slow"],
            ["", ""],
        ),
        (
            "The primary handles writes; the replicas serve reads.",
            ["The primary handles writes", "the replicas serve reads"],
            ["", ""],
        ),
        (
            "Key ceremonies run on Mondays and Fridays and are closed at 16:00 UTC.",
            ["Key ceremonies run on Mondays and Fridays", "are closed at 16:00 UTC"],
            ["", "Key ceremonies are closed at 16:00 UTC"],
        ),
        (
            "Roughly 12,700 envelopes showed stale status, and several hundred were resent.",
            ["Roughly 12,700 envelopes showed stale status", "several hundred were resent"],
            ["", ""],
        ),
    ],
)
def test_compound_splits(text: str, parts: list[str], standalones: list[str]) -> None:
    claims = extract_claims(text).claims
    assert [c.text for c in claims] == parts
    assert [c.standalone for c in claims] == standalones


@pytest.mark.parametrize(
    "text",
    [
        "Alice and Bob own the service.",
        "The role grants read and write access.",
        "Requests time out after between 2 and 5 seconds.",
        "search and checkout are Tier-1 services.",
        "Only 500, 502 and 504 are retried by status code.",
        "It covers Boxing Day on 26 December and New Year's Day on 1 January.",
        "The request is refused with HTTP 409 and the error code ENVELOPE_ALREADY_SIGNED.",
        "Retries are disabled while the circuit is open.",
        "The sweeper, which runs every 60 s and releases holds, is a separate deployment.",
        "If the cache is cold, reads go to the primary and latency doubles.",
        "The cache holds active and expired carts.",
        "The flag (on by default and rolled out to 50%) gates express pay.",
        "Approval is needed from both Amara Okoye and Kenji Sato.",
        "Airport has been closed as investigators and emergency services attend.",
        "You can page them through Beacon or ask in #team-signing.",
    ],
)
def test_no_split(text: str) -> None:
    assert claim_texts(text) == [text]


def test_expletive_it_is_not_replaced() -> None:
    claims = extract_claims("The reindex is slow and it takes 5 minutes to finish.").claims
    assert [c.standalone for c in claims] == ["", ""]


# --- what is not a claim --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Should we raise the timeout?", "question"),
        ("Can you restart the pod", "question"),
        ("I think the timeout is too low.", "opinion"),
        ("It seems the cache is stale.", "opinion"),
        ("Arguably the retry policy is too aggressive.", "opinion"),
        ("It's best to avoid deploying on Fridays.", "opinion"),
        ("This approach is great for small teams.", "opinion"),
        ("We might raise the timeout next quarter.", "hedge"),
        ("I will check the logs after lunch.", "hedge"),
        ("Let's raise the timeout.", "hedge"),
        ("We plan to migrate to v2.", "hedge"),
        ("You could consider a longer TTL.", "hedge"),
        ("Maybe the cache is cold.", "hedge"),
        ("Run `make test`.", "instruction"),
        ("Please check the logs.", "instruction"),
        ("Make sure to drain the worker first.", "instruction"),
        ("Set the kill switch kill.quill_bulk_send to true in Beacon.", "instruction"),
        ("First check which key is active with quill-cli keys show.", "instruction"),
        ("Then run quill-cli rotate with --target set to the standby key.", "instruction"),
        ("If the sweeper stalls, restart it.", "instruction"),
        ("Don't run migrations with psql directly.", "instruction"),
        ("Never run migrations with psql directly.", "instruction"),
        ("Here is the answer:", "meta"),
        ("Sure!", "meta"),
        ("Great question!", "meta"),
        ("In summary:", "meta"),
        ("Hope this helps.", "meta"),
        ("Let me know if you need anything else.", "meta"),
        ("Redis 7.", "empty"),
        ("Jefferson Davis", "empty"),
        ("...", "empty"),
    ],
)
def test_skip_reasons(text: str, reason: str) -> None:
    result = extract_claims(text)
    assert result.claims == ()
    assert [(s.text, s.reason) for s in result.skipped] == [(text, reason)]


def test_heading_and_code_reasons() -> None:
    text = "# Setup\n\n```\nmake test\n```\n"
    assert [(s.text, s.reason) for s in extract_claims(text).skipped] == [
        ("Setup", "heading"),
        ("```\nmake test\n```", "code"),
    ]


def test_every_reason_is_documented() -> None:
    assert set(REASONS) == {
        "question", "opinion", "hedge", "instruction", "code", "heading", "empty", "meta",
    }  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "Operators must drain the worker before a deploy.",
        "The key should not be reused with a different body.",
        "A maintenance window is required for table rewrites.",
        "Release trains run on Tuesdays.",
        "Kill switches are exempt from automatic cleanup tickets.",
        "Search indexing is owned by the Search team.",
        "Signed envelopes in quill_db are kept for 10 years.",
        "Sign calls from ledger-sync exceeded the 2500 ms timeout.",
        "Support for TLS 1.0 was removed in v2.",
        "Check failures trigger a page to the on-call.",
        "Mark Hughes, the Stoke City manager, has confirmed the transfer.",
        "Last week, the team moved the cluster to eu-west.",
        "It will be retired on 2026-06-30.",
        "Stock pages may show slightly old numbers.",
        "You can page them through the Beacon service signing-prod.",
        "Lantern lets you schedule a flag change.",
        "Delivery is best-effort for marketing email.",
    ],
)
def test_statements_stay_claims(text: str) -> None:
    assert claim_texts(text) == [text]


def test_lead_ins_are_dropped_from_the_standalone_only() -> None:
    (claim,) = extract_claims("In summary, the timeout is 30 seconds.").claims
    assert claim.text == "In summary, the timeout is 30 seconds."
    assert claim.standalone == "the timeout is 30 seconds."
    (note,) = extract_claims("Note that the cart limit is 50 items.").claims
    assert note.standalone == "the cart limit is 50 items."


def test_chained_lead_ins_are_all_dropped_from_the_standalone() -> None:
    (claim,) = extract_claims("Sure, here is the answer: the cart limit is 50 items.").claims
    assert claim.standalone == "the cart limit is 50 items."


def test_skipped_to_json() -> None:
    (skipped,) = extract_claims("Should we raise it?").skipped
    assert skipped.to_json() == {
        "text": "Should we raise it?", "start": 0, "end": 19, "reason": "question",
    }  # fmt: skip


def test_opinion_in_a_later_clause_keeps_the_first() -> None:
    result = extract_claims("The timeout is 30s, but I think it is too low.")
    assert [c.text for c in result.claims] == ["The timeout is 30s"]
    assert [(s.text, s.reason) for s in result.skipped] == [("I think it is too low", "opinion")]


def test_table_rows_become_claims_with_their_header() -> None:
    text = "| Key | Default |\n|---|---|\n| `cart.ttl_hours` | 72 |\n"
    result = extract_claims(text)
    assert [(s.text, s.reason) for s in result.skipped] == [("Key | Default", "heading")]
    (row,) = result.claims
    assert row.text == "`cart.ttl_hours` | 72"
    assert row.standalone == "Key: `cart.ttl_hours`; Default: 72"


def test_list_markers_are_trimmed_and_ids_run_in_order() -> None:
    text = (
        "Answer:\n\n- The cart TTL is 72 hours.\n- The item limit is 50.\n"
        "2. Nothing else changes here."
    )
    result = extract_claims(text)
    assert [(c.id, c.text) for c in result.claims] == [
        ("c1", "The cart TTL is 72 hours."),
        ("c2", "The item limit is 50."),
        ("c3", "Nothing else changes here."),
    ]
    assert [(s.text, s.reason) for s in result.skipped] == [("Answer:", "meta")]


# --- invariants -----------------------------------------------------------------------------

_FRAGMENTS = [
    "The timeout is 30s",
    " and ",
    "it retries 5 times",
    ". ",
    "\n",
    "\n\n",
    "- ",
    "1. ",
    "# ",
    "```",
    "`",
    "| a | b |",
    "|---|",
    "---",
    "e.g.",
    " U.S. ",
    "...",
    "?",
    "!",
    ":",
    ";",
    ", but ",
    " while ",
    "v3.14.2",
    "src/app.py",
    "https://x.io/a.b.",
    "Run ",
    "Please ",
    "I think ",
    "Sure! ",
    "Note that ",
    "(",
    ")",
    '"',
    "'",
    "\u200b",
    "\u202e",
    "\u2066",
    "\x00",
    "\x1c",
    "\r\n",
    "\u2028",
    "İ",
    "ß",
    "ﬁ",
    "é",
    "。",
    "…",
    " ",
    "\t",
    "> ",
    "**",
]
markdownish = st.lists(st.sampled_from(_FRAGMENTS), max_size=30).map("".join)
any_text = st.one_of(
    st.text(max_size=200), markdownish, st.text(alphabet="ab. \n`|-#?İ\u200b", max_size=80)
)


def _check_spans(source: str, result: Extraction) -> None:
    items = sorted(
        [(c.start, c.end, c.text) for c in result.claims]
        + [(s.start, s.end, s.text) for s in result.skipped]
    )
    previous_end = 0
    for start, end, text in items:
        assert 0 <= previous_end <= start < end <= len(source)
        assert text == source[start:end]
        previous_end = end
    assert [c.id for c in result.claims] == [f"c{i}" for i in range(1, len(result.claims) + 1)]
    assert all(s.reason in REASONS for s in result.skipped)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_extraction_spans_are_exact_ordered_and_never_invented(text: str) -> None:
    result = extract_claims(text)
    _check_spans(text, result)
    for claim in extract_claims(text).claims:
        assert claim.text.strip() == claim.text and claim.text
    assert extract_claims(text) == result  # deterministic


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_sentence_spans_are_ordered_trimmed_and_all_accounted_for(text: str) -> None:
    spans = split_sentences(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        previous_end = end
    result = extract_claims(text)
    items = [(c.start, c.end) for c in result.claims] + [(s.start, s.end) for s in result.skipped]
    for start, end in spans:  # no sentence silently dropped
        assert any(start <= a and b <= end for a, b in items), text[start:end]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "\u200b\u200b",
        "İstanbul is big. ß is a letter.",
        "The \u202etimeout\u202c is 30s and it retries\u200b 5 times.",
        "\x00\x01 The job runs. \x7f",
        "a\r\nb. C d e.\r\n",
        "`" * 50 + "x. y",
        "| " * 40,
        "```\n" * 7,
        "- " * 30,
        "and and and but ; ; while",
    ],
)
def test_odd_inputs_do_not_raise(text: str) -> None:
    _check_spans(text, extract_claims(text))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("The team owns " + "search and " * 5000 + "checkout.", id="long-coordination"),
        pytest.param(" ".join("`" * i + " x" for i in range(1, 400)), id="unpaired-backtick-runs"),
        pytest.param(
            "| " + " | ".join("`" * i + " x" for i in range(1, 400)) + " |", id="table-runs"
        ),
        pytest.param("The job runs and " * 5000 + "ends.", id="many-clauses"),
    ],
)
def test_adversarial_inputs_complete(text: str) -> None:
    # These inputs once took 10 s+ (quadratic paths); their speed is measured by
    # benchmarks/extraction_bench.py, not asserted here (no timed tests).
    _check_spans(text, extract_claims(text))
