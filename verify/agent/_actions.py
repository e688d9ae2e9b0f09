"""The four things an agent may propose, their JSON form, and the GBNF grammar that forces it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import InputError

__all__ = ["ACTION_GRAMMAR", "KINDS", "Action", "parse_action"]

Kind = Literal["answer", "search", "write_file", "run_command"]
KINDS: tuple[Kind, ...] = ("answer", "search", "write_file", "run_command")

# Strings are bounded so a completion always closes within the token budget (max_tokens in
# the llama backend is set above the longest string the grammar admits).
ACTION_GRAMMAR = r"""
root ::= "{" ws "\"action\":" ws ( answer | search | write | command ) ws "}"
answer ::= "\"answer\"," ws "\"text\":" ws long
search ::= "\"search\"," ws "\"query\":" ws short
write ::= "\"write_file\"," ws "\"path\":" ws path "," ws "\"content\":" ws long "," ws "\"reason\":" ws short
command ::= "\"run_command\"," ws "\"argv\":" ws "[" ws short ( "," ws short ){0,5} ws "]," ws "\"reason\":" ws short
long ::= "\"" char{1,240} "\""
short ::= "\"" char{1,80} "\""
path ::= "\"" [a-zA-Z0-9_./-]{1,60} "\""
char ::= [^"\\\x00-\x1f] | "\\" ["\\nt]
ws ::= " "?
"""  # noqa: E501 - GBNF rules stay one per line


@dataclass(frozen=True)
class Action:
    kind: Kind
    text: str = ""  # answer
    query: str = ""  # search
    path: str = ""  # write_file
    content: str = ""  # write_file
    argv: tuple[str, ...] = ()  # run_command
    reason: str = ""  # write_file, run_command

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.kind}
        if self.kind == "answer":
            out["text"] = self.text
        elif self.kind == "search":
            out["query"] = self.query
        elif self.kind == "write_file":
            out.update(path=self.path, content=self.content, reason=self.reason)
        else:
            out.update(argv=list(self.argv), reason=self.reason)
        return out

    def describe(self) -> str:
        if self.kind == "answer":
            return "answer"
        if self.kind == "search":
            return f"search {_short(self.query)!r}"
        if self.kind == "write_file":
            return f"write_file {_short(self.path)}"
        return "run_command " + _short(" ".join(self.argv))


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _str(d: dict[str, Any], key: str, where: str) -> str:
    value = d.get(key)
    if not isinstance(value, str):
        raise InputError(f"{where}: `{key}` must be a string")
    return value


def parse_action(data: Any, where: str = "action") -> Action:
    """An ``Action`` from its JSON form; InputError naming the field that is wrong."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not JSON ({exc.msg} at {exc.pos})") from exc
        except RecursionError:
            raise InputError(f"{where}: not JSON (nested too deeply)") from None
        except ValueError:  # a number past the digits Python converts
            raise InputError(f"{where}: not JSON (a number with too many digits)") from None
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object")
    kind = data.get("action")
    if kind == "answer":
        return Action("answer", text=_str(data, "text", where))
    if kind == "search":
        return Action("search", query=_str(data, "query", where))
    if kind == "write_file":
        return Action(
            "write_file",
            path=_str(data, "path", where),
            content=_str(data, "content", where),
            reason=str(data.get("reason", "")),
        )
    if kind == "run_command":
        argv = data.get("argv")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise InputError(f"{where}: `argv` must be a non-empty list of strings")
        return Action("run_command", argv=tuple(argv), reason=str(data.get("reason", "")))
    raise InputError(f"{where}: unknown action {kind!r}; use one of {', '.join(KINDS)}")
