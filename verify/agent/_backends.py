"""Where an agent's proposals come from: a local model (llama.cpp) or a recorded transcript.

Backends declare one method, ``propose``; ``samples`` (extra completions for the
self-consistency check) is optional. Both are handed ``timeout``, the seconds the run has left:
a backend must answer within it or raise ``CheckTimeout`` (the llama.cpp one stops its model
call there, ``checks.llm.generate_within``). Register others with ``register_backend``;
``--model NAME`` also takes a generator registered with ``checks.llm.register_generator``.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from checks.llm import (
    Generator,
    LlamaCppGenerator,
    Message,
    generate_within,
    generator_names,
    get_generator,
)

from ..errors import InputError
from ._actions import ACTION_GRAMMAR, Action, parse_action

__all__ = [
    "Backend",
    "LlamaBackend",
    "Proposal",
    "ReplayBackend",
    "Turn",
    "get_backend",
    "register_backend",
]


@dataclass(frozen=True)
class Turn:
    """What happened at one step, fed back to the model."""

    action: Action | None
    outcome: str  # "executed: ...", "blocked: <reasons>", "malformed: ..."


@dataclass(frozen=True)
class Proposal:
    action: Action | None  # None: the output could not be parsed (the step is blocked)
    raw: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    error: str = ""
    recorded_usage: bool = True  # False when a transcript carried no usage block


class Backend(ABC):
    name: str = "backend"

    @abstractmethod
    def propose(
        self,
        task: str,
        context: Sequence[str],
        history: Sequence[Turn],
        *,
        timeout: float | None = None,
    ) -> Proposal | None:
        """The next action, or None when the agent has nothing more to say; within
        ``timeout`` seconds (None: no limit), past which ``CheckTimeout``."""

    def samples(
        self, task: str, context: Sequence[str], n: int, *, timeout: float | None = None
    ) -> list[Proposal]:
        """``n`` extra answers for the same task (self-consistency), all within ``timeout``;
        none by default."""
        return []


SYSTEM = (
    "You are an engineering assistant for an internal platform. Answer from the context "
    "passages only. Reply with exactly one JSON action: "
    '{"action": "answer", "text": "..."} to answer, '
    '{"action": "search", "query": "..."} to look something up, '
    '{"action": "write_file", "path": "...", "content": "...", "reason": "..."} to write a '
    'file in the workspace, or {"action": "run_command", "argv": [...], "reason": "..."}. '
    "Keep answers to one or two sentences and copy values exactly as the context states them."
)


class LlamaBackend(Backend):
    def __init__(self, generator: Generator, *, max_tokens: int = 2048) -> None:
        self.generator = generator
        self.max_tokens = max_tokens
        self.name = generator.name

    def _messages(
        self, task: str, context: Sequence[str], history: Sequence[Turn]
    ) -> list[Message]:
        passages = "\n".join(f"- {c[:400]}" for c in context[-4:]) or "- (none)"
        user = f"Context:\n{passages}\n\nTask: {task}"
        for turn in history:
            if turn.action is not None:
                user += f"\nYou proposed: {json.dumps(turn.action.to_json())[:300]}"
            user += f"\nResult: {turn.outcome[:300]}"
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]

    def _call(
        self, messages: list[Message], temperature: float, seed: int, until: float | None
    ) -> Proposal:
        gen = generate_within(
            self.generator,
            messages,
            timeout=None if until is None else until - time.monotonic(),
            grammar=ACTION_GRAMMAR,
            max_tokens=self.max_tokens,
            temperature=temperature,
            seed=seed,
        )
        try:
            action, error = parse_action(gen.text, "model output"), ""
        except InputError as exc:
            action, error = None, str(exc)
        return Proposal(
            action,
            gen.text,
            gen.model,
            gen.prompt_tokens,
            gen.completion_tokens,
            gen.seconds,
            error,
        )

    def propose(
        self,
        task: str,
        context: Sequence[str],
        history: Sequence[Turn],
        *,
        timeout: float | None = None,
    ) -> Proposal:
        until = _until(timeout)
        return self._call(self._messages(task, context, history), 0.0, 0, until)

    def samples(
        self, task: str, context: Sequence[str], n: int, *, timeout: float | None = None
    ) -> list[Proposal]:
        messages, until = self._messages(task, context, []), _until(timeout)
        return [self._call(messages, 0.8, seed, until) for seed in range(1, n + 1)]


@dataclass
class ReplayBackend(Backend):
    """Recorded agent outputs, one JSON action per line (docs/architecture.md, "Replay
    transcript")."""

    path: Path
    name: str = "replay"
    _turns: list[Proposal] = field(default_factory=list)
    _next: int = 0

    def __post_init__(self) -> None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read transcript {str(self.path)!r}: {exc}") from exc
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{self.path}:{n}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}: not JSON ({exc.msg})") from exc
            except RecursionError:
                raise InputError(f"{where}: not JSON (nested too deeply)") from None
            except ValueError:  # a number past the digits Python converts
                raise InputError(f"{where}: not JSON (a number with too many digits)") from None
            action = parse_action(data, where)
            usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
            tokens = [_count(usage or {}, k, where) for k in ("prompt_tokens", "completion_tokens")]
            self._turns.append(
                Proposal(
                    action,
                    line,
                    str(data.get("model") or self.name),
                    tokens[0],
                    tokens[1],
                    recorded_usage=usage is not None,
                )
            )
        if not self._turns:
            raise InputError(f"transcript {str(self.path)!r} has no actions")

    def propose(
        self,
        task: str,
        context: Sequence[str],
        history: Sequence[Turn],
        *,
        timeout: float | None = None,
    ) -> Proposal | None:
        if self._next >= len(self._turns):
            return None
        self._next += 1
        return self._turns[self._next - 1]

    @property
    def length(self) -> int:
        return len(self._turns)


#: The largest token count the ledger stores (SQLite integers are 64-bit).
MAX_TOKENS = 2**63 - 1


def _count(usage: dict[str, object], key: str, where: str) -> int:
    """``usage[key]`` as a token count (absent or null: 0); InputError for anything else."""
    value = usage.get(key)
    if value is None:
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TOKENS:
        raise InputError(
            f"{where}: usage.{key} must be a non-negative whole number, not {value!r:.40}"
        )
    return value


_FACTORIES: dict[str, Callable[[], Backend]] = {}


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Make ``--model NAME`` pick this backend (tests register deterministic fakes here)."""
    _FACTORIES[name] = factory


def get_backend(model: str | None) -> Backend:
    """A registered backend by name; else a registered generator, or the llama.cpp one for a
    GGUF path (the bundled model for None), behind ``LlamaBackend``."""
    if model and model in _FACTORIES:
        return _FACTORIES[model]()
    if model and model in generator_names():
        return LlamaBackend(get_generator(model))
    if model and not Path(model).is_file():
        raise InputError(
            f"model {model!r} is neither a registered backend or generator nor a .gguf file"
        )
    return LlamaBackend(LlamaCppGenerator(model))


def _until(timeout: float | None) -> float | None:
    """The monotonic time ``timeout`` seconds from now (None: no deadline)."""
    return None if timeout is None else time.monotonic() + timeout
