"""The lexical query plan: common terms admit no rows alone, and scores stay FTS5's own."""

from __future__ import annotations

import random
import re
import sqlite3

import pytest
from fakes import Built
from hypothesis import given, settings
from hypothesis import strategies as st

import retrieval
from retrieval import _lexical
from retrieval._lexical import match_plan, phrase, query_terms

VOCAB = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "zeta"]
SQL = (
    "SELECT rowid, bm25(t, 1.0, 0.5) FROM t WHERE t MATCH ? ORDER BY bm25(t, 1.0, 0.5), rowid"
    " LIMIT ?"
)


def _table(n: int, seed: int) -> sqlite3.Connection:
    """``n`` rows: "alpha" and "beta" in most, the rest of VOCAB rarely (the store's tokenizer)."""
    rng = random.Random(seed)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(text, heading, tokenize='porter unicode61')")
    for i in range(n):
        words = [w for w in ("alpha", "beta") if rng.random() < 0.7]
        words += [w for w in VOCAB[2:] if rng.random() < 0.03]
        words += rng.choices(["filler", "noise", "padding"], k=rng.randint(1, 6))
        rng.shuffle(words)
        conn.execute(
            "INSERT INTO t(rowid, text, heading) VALUES (?, ?, '')", (i + 1, " ".join(words))
        )
    return conn


def _df(conn: sqlite3.Connection):  # type: ignore[no-untyped-def]
    return lambda term: conn.execute(
        "SELECT count(*) FROM t WHERE t MATCH ?", (phrase(term),)
    ).fetchone()[0]


def _holding(conn: sqlite3.Connection, term: str) -> set[int]:
    return {r for (r,) in conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (phrase(term),))}


def test_query_terms_drop_stop_words_and_repeats() -> None:
    assert query_terms("What is the Timeout of the timeout?") == ["timeout"]
    assert query_terms("") == []


def test_small_tables_get_the_plain_or_query_and_no_frequency_lookups() -> None:
    def never(term: str) -> int:
        raise AssertionError("document frequency asked for a small table")

    assert match_plan(["a", 'b"c'], 4000, never) == ['("a" OR "b""c")']
    assert match_plan([], 10**6, never) == []


@pytest.fixture
def common_at_30(monkeypatch: pytest.MonkeyPatch) -> None:
    """Terms in more than 30 rows (and over 5% of them) count as common."""
    monkeypatch.setattr(_lexical, "COMMON_MIN_DF", 30)


@pytest.mark.usefixtures("common_at_30")
@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10**6), rare=st.lists(st.sampled_from(VOCAB[2:]), min_size=1, max_size=3)
)
def test_rare_terms_admit_and_scores_equal_the_plain_or_query(seed: int, rare: list[str]) -> None:
    conn = _table(400, seed)
    terms = list(dict.fromkeys(["alpha", "beta", *rare]))
    (match,) = match_plan(terms, 400, _df(conn))
    got = conn.execute(SQL, (match, 400)).fetchall()
    plain = dict(conn.execute(SQL, (" OR ".join(map(phrase, terms)), 400)).fetchall())
    admitted = set().union(*(_holding(conn, t) for t in rare))
    assert {r for r, _ in got} == admitted  # no row only the common terms hold
    assert all(s == pytest.approx(plain[r]) for r, s in got)  # common terms still score


@pytest.mark.usefixtures("common_at_30")
def test_only_common_terms_admit_rows_holding_all_then_all_but_one() -> None:
    conn = _table(400, 3)
    for t in ("gamma", "delta", "omega"):  # make three more terms common
        conn.execute("UPDATE t SET text = text || ' ' || ? WHERE rowid % 2 = 0", (t,))
    terms = ["alpha", "beta", "gamma", "delta"]
    first, second = match_plan(terms, 400, _df(conn))
    holding = [_holding(conn, t) for t in terms]
    all_of = set.intersection(*holding)
    assert {r for (r,) in conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (first,))} == all_of
    but_one = {r for r in range(1, 401) if sum(r in h for h in holding) >= 3}
    assert {r for (r,) in conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (second,))} == but_one
    assert len(match_plan(["alpha", "beta"], 400, _df(conn))) == 1  # two terms: AND only


def test_the_index_searches_by_the_plan(
    monkeypatch: pytest.MonkeyPatch, built_index: Built
) -> None:
    with retrieval.Index.open(built_index.folder, embedder=built_index.embedder) as index:
        plain = index.search("gateway port", 10, mode="lexical")
        monkeypatch.setattr(_lexical, "COMMON_MIN_DF", 0)
        monkeypatch.setattr(_lexical, "COMMON_SHARE", 0.0)  # every term common
        both = index.search("gateway port", 10, mode="lexical")
    assert any("port" not in h.chunk.text.lower() for h in plain)  # OR: either term admits
    words = [
        set(re.findall(r"[a-z0-9]+", f"{h.chunk.text} {h.chunk.heading}".lower())) for h in both
    ]
    assert both and all({"gateway", "port"} <= w for w in words)  # only common: both terms
    assert [h.chunk.chunk_id for h in both] == [
        h.chunk.chunk_id for h in plain if h.chunk.chunk_id in {b.chunk.chunk_id for b in both}
    ]
