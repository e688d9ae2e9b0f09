"""``--from openai-jsonl``: chat-completion logs, one JSON object per line.

Accepted shapes (``usage`` is required; everything else is optional):

- a response: ``{"id", "model", "created", "usage": {"prompt_tokens", "completion_tokens"},
  "choices": [{"message": {"content", "tool_calls"}}]}`` (``input_tokens``/``output_tokens``
  are read too, and a legacy ``choices[0].text``);
- a logged exchange: ``{"request": {...}, "response": {...}}``;
- a Batch API output line: ``{"custom_id", "response": {"body": {...}}}``.

Who and what: ``metadata`` (top level, the request's or the response's) may name ``run``
(or ``run_id``), ``task``, ``agent``, ``user``, ``team`` and ``step``; the request's ``user``
field names the user too. What a line does not say comes from the flags, and a line with no
run joins a run per agent, user and day.

Actions, so loops and verified work can be seen: each tool call of the response is an action
(kind = the function's name, summary = its arguments); text content is an ``answer``. They
are ungated unless the line carries ``"verify": <the JSON of verify check on this output>``,
whose decision and claim counts then apply (``verdict`` of the call too).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from ...ledger import ActionRow, CallRow, RunRow
from ._common import Batch, Defaults, Keys, NotJson, clean, load_json, synthetic_run, whole

__all__ = ["SOURCE", "parse"]

SOURCE = "openai-jsonl"


class _Bad(ValueError):
    pass


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _content(choice: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    message = _dict(choice.get("message"))
    content = message.get("content", choice.get("text"))
    if isinstance(content, list):  # content parts
        content = " ".join(str(_dict(p).get("text", "")) for p in content)
    text = content if isinstance(content, str) else ""
    tools = []
    for call in message.get("tool_calls") or []:
        fn = _dict(_dict(call).get("function"))
        name = fn.get("name")
        if isinstance(name, str) and name:
            args = fn.get("arguments", "")
            tools.append((name, args if isinstance(args, str) else json.dumps(args)))
    return text, tools


def _verify_block(value: Any) -> tuple[str, int, int] | None:
    block = _dict(value)
    if block.get("decision") not in ("pass", "block"):
        return None
    claims = block.get("claims")
    summary = _dict(block.get("summary"))
    if isinstance(claims, list):
        total = len(claims)
        supported = sum(1 for c in claims if _dict(c).get("verdict") == "supported")
    else:
        supported = whole(summary.get("supported")) or 0
        total = sum(whole(v) or 0 for v in summary.values())
    return str(block["decision"]), supported, max(total, supported)


def _record(obj: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(request, response, merged metadata) of one line, or _Bad with the reason."""
    if not isinstance(obj, dict):
        raise _Bad("not a JSON object")
    request = _dict(obj.get("request"))
    response = obj.get("response", obj)
    if isinstance(response, dict) and isinstance(response.get("body"), dict):
        response = response["body"]
    if not isinstance(response, dict):
        raise _Bad("response is not a JSON object")
    meta: dict[str, Any] = {}
    for source in (
        _dict(request.get("metadata")),
        _dict(response.get("metadata")),
        _dict(obj.get("metadata")),
    ):
        meta.update(source)
    if "user" not in meta and isinstance(request.get("user"), str):
        meta["user"] = request["user"]
    return request, response, meta


def _tokens(response: dict[str, Any], obj: dict[str, Any]) -> tuple[int, int]:
    usage = response.get("usage", obj.get("usage"))
    if not isinstance(usage, dict):
        raise _Bad("no usage block")
    prompt = usage.get("prompt_tokens", usage.get("input_tokens"))
    completion = usage.get("completion_tokens", usage.get("output_tokens", 0))
    p, c = whole(prompt), whole(completion)
    if p is None:
        raise _Bad(f"usage.prompt_tokens must be a whole number >= 0, not {prompt!r}")
    if c is None:
        raise _Bad(f"usage.completion_tokens must be a whole number >= 0, not {completion!r}")
    return p, c


#: The last Unix time a date can be printed for (the end of the year 9999).
LATEST = 253_402_300_799


def _is_time(value: Any) -> bool:
    """Whether ``value`` is a Unix time a record can have been made at: 1970 to 9999."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= LATEST


def parse(lines: Iterable[tuple[int, str | None]], defaults: Defaults, now: float) -> Batch:
    batch = Batch()
    keys = Keys(SOURCE)
    ordinal: Counter[str] = Counter()
    for number, text in lines:
        if text is None:
            batch.error(number, "not UTF-8")
            continue
        if not text.strip():
            continue
        try:
            obj = load_json(text)
            request, response, meta = _record(obj)
            prompt, completion = _tokens(response, obj)
        except (NotJson, _Bad) as exc:
            batch.error(number, str(exc))
            continue
        step_given = meta.get("step")
        if step_given is not None and whole(step_given) is None:
            batch.error(number, f"metadata.step must be a whole number >= 0, not {step_given!r}")
            continue
        created = response.get("created", obj.get("created"))
        when = float(created) if _is_time(created) else now
        model = clean(response.get("model") or request.get("model") or defaults.model or "unknown")
        agent = clean(meta.get("agent")) or defaults.agent or model
        user = clean(meta.get("user")) or defaults.user
        run_id = (
            clean(meta.get("run") or meta.get("run_id"))
            or defaults.run
            or synthetic_run(SOURCE, agent, user, when)
        )
        given = whole(step_given)
        step = given if given is not None else ordinal[run_id]
        ordinal[run_id] += 1
        choices = response.get("choices")
        first = _dict(choices[0]) if isinstance(choices, list) and choices else {}
        content, tools = _content(first)
        gate = _verify_block(obj.get("verify"))
        verdict = gate[0] if gate else ""
        has_id = isinstance(response.get("id"), str) and bool(response["id"])
        key = keys.key(obj, occurrence=not has_id)
        batch.add_run(
            RunRow(
                run_id,
                task=clean(meta.get("task")) or defaults.task,
                agent=agent,
                user=user,
                team=clean(meta.get("team")) or defaults.team,
                source=SOURCE,
                started_at=when,
            )
        )
        batch.calls.append(
            CallRow(
                run_id,
                key,
                purpose="imported",
                model=model,
                prompt_tokens=prompt,
                completion_tokens=completion,
                verdict=verdict,
                output=content or json.dumps(tools),
                step=step,
                created_at=when,
            )
        )
        acts = list(tools)
        if content.strip() and not tools:
            acts.append(("answer", content))
        for i, (kind, summary) in enumerate(acts):
            decision, supported, total = gate if gate else ("", 0, 0)
            batch.actions.append(
                ActionRow(
                    run_id,
                    f"{key}:{i}",
                    step=step,
                    kind=clean(kind, 80),
                    decision=decision,
                    executed=decision == "pass",
                    claims_supported=supported if kind == "answer" else 0,
                    claims_total=total if kind == "answer" else 0,
                    summary=summary,
                    created_at=when,
                )
            )
        batch.records += 1
    return batch
