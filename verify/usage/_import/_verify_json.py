"""``--from verify-json``: the JSON output of ``verify check``, ``run`` or ``gate``.

The file holds one document (pretty-printed or not), a JSON array of documents, or one
document per line. Which command wrote it: ``steps`` means run, ``findings`` means gate,
otherwise check. Each document supplies the verdicts, hence verified units:

- check: one ``answer`` action; supported claims count when the decision is pass.
- run: one action per step, with the step's decision, ``executed`` and claims; the summary
  that identifies it (for loops) is the query, argv, path (+ content hash) or answer text.
- gate: one ``gate`` action; its changed lines count when the decision is pass. The line
  count is ``changed_lines`` (top level or in ``summary``), else 1 for the whole change.

Tokens: a step's ``usage`` is a call at that step carrying the step's decision; otherwise the
document's ``usage`` is one call (``{"prompt_tokens", "completion_tokens"}``) or one call per
purpose (``{"agent": {...}, "sample": {...}, "judge": {...}}``, also under ``by_purpose``),
carrying the decision of a check or gate (a run's whole-run tokens carry none: they cannot be
pinned to a step). Optional keys ``run_id``, ``task``, ``agent``, ``user``, ``team``,
``step`` link a document to a run; without them each document is a run of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from ...ledger import ActionRow, CallRow, RunRow
from ._common import Batch, Defaults, Keys, NotJson, clean, load_json, whole

__all__ = ["SOURCE", "parse"]

SOURCE = "verify-json"
_PURPOSES = ("agent", "sample", "judge")


class _Bad(ValueError):
    pass


def _documents(lines: Iterable[tuple[int, str | None]], batch: Batch) -> Iterator[tuple[int, Any]]:
    """(line number, parsed document): the whole text if it parses, else line by line."""
    collected = list(lines)
    if any(text is None for _, text in collected):
        for number, text in collected:
            if text is None:
                batch.error(number, "not UTF-8")
    good = [(n, t) for n, t in collected if t is not None]
    whole_text = "\n".join(t for _, t in good)
    try:
        parsed = load_json(whole_text) if whole_text.strip() else None
    except NotJson:
        parsed = None
    else:
        if parsed is not None:
            first = next((n for n, t in good if t.strip()), 1)
            docs = parsed if isinstance(parsed, list) else [parsed]
            yield from ((first, d) for d in docs)
            return
    for number, text in good:
        if not text.strip():
            continue
        try:
            yield number, load_json(text)
        except NotJson as exc:
            batch.error(number, str(exc))


def _claims(value: Any) -> tuple[int, int]:
    if not isinstance(value, list):
        raise _Bad("claims must be a list")
    supported = sum(1 for c in value if isinstance(c, dict) and c.get("verdict") == "supported")
    return supported, len(value)


def _usage_calls(usage: Any) -> list[tuple[str, int, int]]:
    """(purpose, prompt, completion) from a usage block; [] when there is none."""
    if not isinstance(usage, dict):
        return []
    by_purpose = usage.get("by_purpose")
    split: dict[str, Any] = by_purpose if isinstance(by_purpose, dict) else usage
    out = []
    for purpose in _PURPOSES:
        part = split.get(purpose)
        if isinstance(part, dict):
            p, c = whole(part.get("prompt_tokens", 0)), whole(part.get("completion_tokens", 0))
            if p is None or c is None:
                raise _Bad(f"usage.{purpose} token counts must be whole numbers >= 0")
            out.append((purpose, p, c))
    if out:
        return out
    if "prompt_tokens" not in usage and "completion_tokens" not in usage:
        return []
    p, c = whole(usage.get("prompt_tokens", 0)), whole(usage.get("completion_tokens", 0))
    if p is None or c is None:
        raise _Bad("usage token counts must be whole numbers >= 0")
    return [("imported", p, c)]


def _action_summary(action: dict[str, Any]) -> tuple[str, str]:
    kind = clean(action.get("action") or "answer", 80)
    if kind == "search":
        return kind, clean(action.get("query"), 1000)
    if kind == "run_command":
        argv = action.get("argv")
        return kind, " ".join(map(str, argv)) if isinstance(argv, list) else clean(argv)
    if kind == "write_file":
        content = str(action.get("content", ""))
        digest = hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        return kind, f"{clean(action.get('path'))} {digest}"
    if kind == "answer":
        return kind, str(action.get("text", ""))[:1000]
    return kind, json.dumps(action, sort_keys=True)[:1000]


def _decision(value: Any, where: str) -> str:
    if value not in ("pass", "block"):
        raise _Bad(f'{where} must be "pass" or "block", not {value!r}')
    return str(value)


def _one(doc: Any, number: int, keys: Keys, defaults: Defaults, now: float, batch: Batch) -> None:
    if not isinstance(doc, dict):
        raise _Bad("not a JSON object")
    decision = _decision(doc.get("decision"), "decision")
    supported, total = _claims(doc.get("claims", []))
    key = keys.key(doc, occurrence=True)
    kind = (
        "run"
        if isinstance(doc.get("steps"), list)
        else ("gate" if isinstance(doc.get("findings"), list) else "check")
    )
    run_id = clean(doc.get("run_id")) or defaults.run or f"{kind}:{key[:16]}"
    step0 = whole(doc.get("step", 0))
    if step0 is None:
        raise _Bad("step must be a whole number >= 0")
    calls: list[CallRow] = []
    actions: list[ActionRow] = []
    text = " ".join(str(c.get("text", "")) for c in doc.get("claims", []) if isinstance(c, dict))
    stepped_usage = False
    if kind == "run":
        for i, step in enumerate(doc["steps"]):
            if not isinstance(step, dict):
                raise _Bad(f"steps[{i}] is not an object")
            given = step.get("action")
            action: dict[str, Any] = given if isinstance(given, dict) else {}
            s_kind, summary = _action_summary(action)
            s_dec = _decision(step.get("decision"), f"steps[{i}].decision")
            s_sup, s_tot = _claims(step.get("claims", []))
            number_i = whole(step.get("step", i))
            index = i if number_i is None else number_i
            actions.append(
                ActionRow(
                    run_id,
                    f"{key}:a{i}",
                    step=index,
                    kind=s_kind,
                    decision=s_dec,
                    executed=bool(step.get("executed")),
                    claims_supported=s_sup,
                    claims_total=s_tot,
                    summary=summary,
                    created_at=now,
                )
            )
            for j, (purpose, p, c) in enumerate(_usage_calls(step.get("usage"))):
                stepped_usage = True
                calls.append(
                    CallRow(
                        run_id,
                        f"{key}:s{i}:{j}",
                        purpose=purpose,
                        model=clean(step.get("model")),
                        prompt_tokens=p,
                        completion_tokens=c,
                        verdict=s_dec,
                        output=json.dumps(action)[:4000],
                        step=index,
                        created_at=now,
                    )
                )
    else:
        summary = _dict_get_str(doc, "text") or text
        lines = whole(doc.get("changed_lines", _summary(doc).get("changed_lines", 1)))
        if lines is None:
            raise _Bad("changed_lines must be a whole number >= 0")
        actions.append(
            ActionRow(
                run_id,
                f"{key}:a",
                step=step0,
                kind=kind if kind == "gate" else "answer",
                decision=decision,
                executed=decision == "pass",
                claims_supported=supported,
                claims_total=total,
                lines=lines,
                summary=summary,
                created_at=now,
            )
        )
    if not stepped_usage:
        verdict = decision if kind != "run" else ""
        for j, (purpose, p, c) in enumerate(_usage_calls(doc.get("usage"))):
            calls.append(
                CallRow(
                    run_id,
                    f"{key}:u{j}",
                    purpose=purpose,
                    model=clean(doc.get("model")),
                    prompt_tokens=p,
                    completion_tokens=c,
                    verdict=verdict,
                    output=text,
                    step=step0 if kind != "run" else None,
                    created_at=now,
                )
            )
    batch.add_run(
        RunRow(
            run_id,
            task=clean(doc.get("task")) or defaults.task,
            agent=clean(doc.get("agent")) or defaults.agent or "verify",
            user=clean(doc.get("user")) or defaults.user,
            team=clean(doc.get("team")) or defaults.team,
            source=SOURCE,
            started_at=now,
            decision=decision,
        )
    )
    batch.calls += calls
    batch.actions += actions
    batch.records += 1


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    value = doc.get("summary")
    return value if isinstance(value, dict) else {}


def _dict_get_str(doc: dict[str, Any], name: str) -> str:
    value = doc.get(name)
    return value[:1000] if isinstance(value, str) else ""


def parse(lines: Iterable[tuple[int, str | None]], defaults: Defaults, now: float) -> Batch:
    batch = Batch()
    keys = Keys(SOURCE)
    for number, doc in _documents(lines, batch):
        try:
            _one(doc, number, keys, defaults, now, batch)
        except _Bad as exc:
            batch.error(number, str(exc))
    return batch
