"""``--from llama-server-log``: the timing lines llama.cpp prints after each completion.

The server (``print_timings`` of a slot) writes, per request::

    slot print_timing: id  0 | task 42 |
    prompt eval time =     35.46 ms /    12 tokens (    2.96 ms per token,   338.42 tokens ...
           eval time =    608.56 ms /    40 tokens (   15.21 ms per token,    65.73 tokens ...
          total time =    644.02 ms /    52 tokens

(older builds put ``slot print_timing: id 0 | task 42 |`` in front of each line, or logged
JSON objects whose ``msg`` holds the same text; ``llama-cli`` prefixes
``llama_print_timings:`` or ``llama_perf_context_print:`` and counts ``runs`` for tokens).
Each ``prompt eval time`` line followed by an ``eval time`` line is one call: prompt tokens
from the first, completion tokens from the second, seconds from both. Every other line is
ignored, except a timing line that cannot be read or has no partner: that is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ...ledger import CallRow, RunRow
from ._common import Batch, Defaults, Keys, NotJson, load_json, synthetic_run

__all__ = ["SOURCE", "parse"]

SOURCE = "llama-server-log"

# bounded digits: a count past 64-bit SQLite integers (or past what Python converts from a
# string) is not a timing line, and is reported as unreadable
_NUM = r"(?P<ms>\d{1,15}(?:\.\d{1,15})?)\s*ms\s*/\s*(?P<n>\d{1,18})\s*(?:tokens|runs)\b"
_PROMPT = re.compile(r"prompt eval time\s*=\s*" + _NUM)
_EVAL = re.compile(r"(?<!prompt )eval time\s*=\s*" + _NUM)
_TIMING = re.compile(r"eval time\s*=", re.IGNORECASE)
_TASK = re.compile(r"\btask\s+(?P<task>\d+)")


def _message(text: str) -> tuple[str, str]:
    """The log message of a line (the ``msg`` of a JSON log line) and its task id, if any."""
    task = ""
    if text.lstrip().startswith("{"):
        try:
            obj = load_json(text)
        except NotJson:
            return text, task
        if isinstance(obj, dict) and isinstance(obj.get("msg"), str):
            for name in ("id_task", "task_id"):
                if isinstance(obj.get(name), int):
                    task = str(obj[name])
            return obj["msg"], task
    found = _TASK.search(text)
    return text, found.group("task") if found else task


def parse(lines: Iterable[tuple[int, str | None]], defaults: Defaults, now: float) -> Batch:
    batch = Batch()
    keys = Keys(SOURCE)
    agent = defaults.agent or defaults.model or "llama-server"
    run_id = defaults.run or synthetic_run(SOURCE, agent, defaults.user, now)
    task = ""  # the last task id seen: the multi-line format names it on the line before
    pending: tuple[int, float, int, str] | None = None  # line, ms, tokens, task
    for number, text in lines:
        if text is None:
            if pending is None:
                continue  # not UTF-8, and not in the middle of a pair: not ours to judge
            batch.error(number, "not UTF-8 inside a timing block")
            continue
        message, line_task = _message(text)
        task = line_task or task
        prompt = _PROMPT.search(message)
        if prompt:
            if pending is not None:
                batch.error(pending[0], "prompt eval time without a following eval time")
            pending = (number, float(prompt.group("ms")), int(prompt.group("n")), task)
            continue
        gen = _EVAL.search(message)
        if gen:
            if pending is None:
                batch.error(number, "eval time without a preceding prompt eval time")
                continue
            _, p_ms, p_tokens, p_task = pending
            pending = None
            e_ms, e_tokens = float(gen.group("ms")), int(gen.group("n"))
            record = {"task": p_task, "prompt": [p_ms, p_tokens], "eval": [e_ms, e_tokens]}
            batch.calls.append(
                CallRow(
                    run_id,
                    keys.key(record, occurrence=True),
                    purpose="imported",
                    model=defaults.model or "llama-server",
                    prompt_tokens=p_tokens,
                    completion_tokens=e_tokens,
                    seconds=(p_ms + e_ms) / 1000,
                    created_at=now,
                )
            )
            batch.records += 1
            continue
        if _TIMING.search(message):
            batch.error(number, f"unreadable timing line: {' '.join(message.split())[:80]!r}")
    if pending is not None:
        batch.error(pending[0], "prompt eval time without a following eval time")
    if batch.calls:
        batch.add_run(
            RunRow(
                run_id,
                task=defaults.task,
                agent=agent,
                user=defaults.user,
                team=defaults.team,
                source=SOURCE,
                started_at=now,
            )
        )
    return batch
