"""The action grammar: it compiles in llama.cpp, every string it admits parses as an action,
and the bundled SmolLM2 constrained by it always proposes a parseable action, with token
counts equal to llama.cpp's own.

``LlamaGrammar.from_string`` only stores the text (llama-cpp-python parses it when a sampler
is built), so compiling is tested through ``llama_sampler_init_grammar`` on the bundled
model's vocabulary, with a broken grammar as the control.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp
import pytest
from fakes import HashEmbedder, ScriptedCascade
from hypothesis import given, settings
from hypothesis import strategies as st
from llama_cpp.llama_grammar import LlamaGrammar

from checks.llm import LlamaCppGenerator, bundled_model_path
from retrieval import Index, build_index
from verify.agent import (
    ACTION_GRAMMAR,
    ActionChecker,
    AgentRunner,
    LlamaBackend,
    Proposal,
    Turn,
    Workspace,
    parse_action,
)
from verify.checker import Checker
from verify.errors import InputError
from verify.ledger import Ledger
from verify.policy import BlockPolicy

ROOT = Path(__file__).resolve().parents[1]

# -- a small GBNF reader and random sampler, enough for the grammars of this project --------

Node = tuple[Any, ...]  # ("alt", [seq...]) ("seq", [node...]) ("lit", str) ("cls", neg, ranges)
# ("ref", name) ("rep", node, lo, hi)


class _Reader:
    def __init__(self, text: str) -> None:
        self.s = re.sub(r"#[^\n]*", "", text)
        self.i = 0

    def ws(self, newlines: bool) -> None:
        while self.i < len(self.s) and (
            self.s[self.i] in " \t" or (newlines and self.s[self.i] in "\r\n")
        ):
            self.i += 1

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def char(self) -> str:
        c = self.s[self.i]
        self.i += 1
        if c != "\\":
            return c
        e = self.s[self.i]
        self.i += 1
        if e == "x":
            code = self.s[self.i : self.i + 2]
            self.i += 2
            return chr(int(code, 16))
        return {"n": "\n", "t": "\t", "r": "\r"}.get(e, e)

    def rules(self) -> dict[str, Node]:
        out: dict[str, Node] = {}
        while True:
            self.ws(True)
            if not self.peek():
                return out
            m = re.compile(r"[a-zA-Z0-9_-]+\s*::=").match(self.s, self.i)
            assert m, f"rule expected at {self.s[self.i : self.i + 30]!r}"
            name = m.group(0).split("::=")[0].strip()
            self.i = m.end()
            out[name] = self.alternatives(nested=False)

    def alternatives(self, nested: bool) -> Node:
        seqs = [self.sequence(nested)]
        while self.peek() == "|":
            self.i += 1
            seqs.append(self.sequence(nested))
        return ("alt", seqs)

    def sequence(self, nested: bool) -> Node:
        items: list[Node] = []
        while True:
            self.ws(nested)
            c = self.peek()
            if c in ("", "|", ")", "\n", "\r"):
                return ("seq", items)
            if c == '"':
                self.i += 1
                text = ""
                while self.peek() != '"':
                    text += self.char()
                self.i += 1
                node: Node = ("lit", text)
            elif c == "[":
                self.i += 1
                neg = self.peek() == "^"
                self.i += neg
                ranges = []
                while self.peek() != "]":
                    lo = self.char()
                    hi = lo
                    if self.peek() == "-" and self.s[self.i + 1] != "]":
                        self.i += 1
                        hi = self.char()
                    ranges.append((lo, hi))
                self.i += 1
                node = ("cls", neg, ranges)
            elif c == "(":
                self.i += 1
                node = self.alternatives(nested=True)
                self.ws(True)
                assert self.peek() == ")"
                self.i += 1
            else:
                m = re.compile(r"[a-zA-Z0-9_-]+").match(self.s, self.i)
                assert m, f"unexpected {self.s[self.i : self.i + 20]!r}"
                self.i = m.end()
                node = ("ref", m.group(0))
            items.append(self.quantified(node))

    def quantified(self, node: Node) -> Node:
        c = self.peek()
        if c in "?*+" and c:
            self.i += 1
            return ("rep", node, 0 if c != "+" else 1, 1 if c == "?" else None)
        m = re.compile(r"\{(\d+)(,(\d*))?\}").match(self.s, self.i)
        if m:
            self.i = m.end()
            lo = int(m.group(1))
            hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
            return ("rep", node, lo, hi)
        return node


# characters a model may emit: ASCII, accents, symbols, emoji, separators, DEL
POOL = [chr(c) for c in range(0x20, 0x7F)] + list('\x7féü€ß中😀\u00a0\u2028\t\n\\"')


def sample(rules: dict[str, Node], rng: random.Random, start: str = "root") -> str:
    out: list[str] = []

    def length(lo: int, hi: int | None) -> int:
        top = hi if hi is not None else lo + 8
        roll = rng.random()
        if roll < 0.15:
            return lo
        if roll < 0.3:
            return top
        return rng.randint(lo, min(top, lo + 12))

    def walk(node: Node) -> None:
        kind = node[0]
        if kind == "alt":
            walk(rng.choice(node[1]))
        elif kind == "seq":
            for item in node[1]:
                walk(item)
        elif kind == "lit":
            out.append(node[1])
        elif kind == "ref":
            walk(rules[node[1]])
        elif kind == "rep":
            for _ in range(length(node[2], node[3])):
                walk(node[1])
        else:
            _, neg, ranges = node

            def inside(ch: str) -> bool:
                return any(lo <= ch <= hi for lo, hi in ranges)

            if neg:
                out.append(rng.choice([ch for ch in POOL if not inside(ch)]))
            else:
                lo, hi = rng.choice(ranges)
                out.append(chr(rng.randint(ord(lo), ord(hi))))

    walk(rules[start])
    return "".join(out)


ACTION_RULES = _Reader(ACTION_GRAMMAR).rules()


def test_the_sampler_reads_the_action_grammar() -> None:
    assert set(ACTION_RULES) == {
        "root",
        "answer",
        "search",
        "write",
        "command",
        "long",
        "short",
        "path",
        "char",
        "ws",
    }
    rng = random.Random(7)
    kinds = {json.loads(sample(ACTION_RULES, rng))["action"] for _ in range(200)}
    assert kinds == {"answer", "search", "write_file", "run_command"}


@settings(max_examples=400, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_every_string_the_grammar_admits_parses_as_that_action(seed: int) -> None:
    text = sample(ACTION_RULES, random.Random(seed))
    action = parse_action(text)
    assert action.to_json() == json.loads(text)


def test_the_property_catches_a_grammar_that_admits_unparseable_output() -> None:
    """The control: let the grammar admit a `\\u` escape without its hex digits."""
    mutant = ACTION_GRAMMAR.replace(r'"\\" ["\\nt]', r'"\\" ["\\ntu]')
    assert mutant != ACTION_GRAMMAR
    broken = _Reader(mutant).rules()
    rng = random.Random(1)
    failures = 0
    for _ in range(300):
        try:
            parse_action(sample(broken, rng))
        except InputError:
            failures += 1
    assert failures > 0


@pytest.fixture(scope="module")
def vocab() -> Iterator[Any]:
    model = llama_cpp.Llama(model_path=str(bundled_model_path()), vocab_only=True, verbose=False)
    yield model._model.vocab
    model.close()


def _compiles(vocab: Any, grammar: str) -> bool:
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode(), b"root")
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True


@pytest.mark.model
def test_the_action_grammar_compiles_in_llama_cpp(vocab: Any) -> None:
    assert LlamaGrammar.from_string(ACTION_GRAMMAR, verbose=False)._grammar == ACTION_GRAMMAR
    assert _compiles(vocab, ACTION_GRAMMAR)
    # the controls: what llama.cpp refuses, it refuses here too
    assert not _compiles(vocab, ACTION_GRAMMAR.replace("ws ::=", "wsx ::="))
    assert not _compiles(vocab, ACTION_GRAMMAR + "\nbad ::= [a-\n")


def _longest(kind: str, char: str) -> str:
    """The longest ``kind`` action the grammar admits, every free character being ``char``."""

    def bound(rule: str) -> int:
        node = ACTION_RULES[rule][1][0][1][1]  # long/short/path ::= "\"" X{lo,hi} "\""
        assert node[0] == "rep", rule
        return int(node[3])

    long, short, path = bound("long"), bound("short"), bound("path")
    bodies: dict[str, dict[str, Any]] = {
        "answer": {"text": char * long},
        "search": {"query": char * short},
        "write_file": {"path": "p" * path, "content": char * long, "reason": char * short},
        "run_command": {"argv": [char * short] * 6, "reason": char * short},
    }
    body = bodies[kind]
    text = json.dumps({"action": kind, **body}, ensure_ascii=False)
    parse_action(text)  # it is an action
    return text


@pytest.mark.model
@pytest.mark.parametrize("kind", ["answer", "write_file", "run_command"])
def test_the_token_budget_covers_the_longest_action_the_grammar_admits(
    vocab: Any, kind: str
) -> None:
    budget = LlamaBackend(LlamaCppGenerator()).max_tokens
    for char in ("e", "\n", "é", "中", "😀"):  # "\n" is written as a two-character escape
        text = _longest(kind, char)
        tokens = llama_cpp.llama_tokenize  # count as llama.cpp does, on the bundled vocabulary
        buf = (llama_cpp.llama_token * (4 * len(text.encode()) + 8))()
        n = tokens(vocab, text.encode(), len(text.encode()), buf, len(buf), False, False)
        assert 0 < n <= budget, (kind, char, n, budget)


# -- the real SmolLM2, constrained by the grammar -----------------------------------------

TASKS = [
    json.loads(line)
    for line in (ROOT / "corpora" / "demo_tasks.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
CHOSEN = ["t1", "t3", "t4", "t5"]  # a size question, a port, who to page, a note to write


@dataclass
class Seen:
    """One create_chat_completion call as llama.cpp itself reported it."""

    usage: dict[str, int]
    finish_reason: str
    sampled: int  # how many times the sampler ran (one per generated token, +1 for EOS)
    prompt_tokens: int  # the chat-formatted prompt, tokenized independently


@pytest.fixture(scope="module")
def smollm(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LlamaCppGenerator, list[Seen]]]:
    """The bundled SmolLM2, with a spy on llama.cpp's own completion call."""
    gen = LlamaCppGenerator()
    gen.load()
    llm = gen._llm
    real: Callable[..., Any] = llm.create_chat_completion
    formatter = llama_cpp.llama_chat_format.Jinja2ChatFormatter(
        template=llm.metadata["tokenizer.chat_template"],
        eos_token=llm.detokenize([llm.token_eos()], special=True).decode(),
        bos_token=llm.detokenize([llm.token_bos()], special=True).decode(),
    )
    seen: list[Seen] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        count = [0]

        def counting(ids: Any, logits: Any) -> Any:
            count[0] += 1
            return logits

        kwargs["logits_processor"] = llama_cpp.LogitsProcessorList(
            [counting, *(kwargs.get("logits_processor") or [])]
        )
        out = real(*args, **kwargs)
        prompt = formatter(messages=kwargs["messages"]).prompt
        seen.append(
            Seen(
                dict(out["usage"]),
                out["choices"][0]["finish_reason"],
                count[0],
                len(llm.tokenize(prompt.encode(), add_bos=False, special=True)),
            )
        )
        return out

    llm.create_chat_completion = spy
    yield gen, seen
    llm.create_chat_completion = real


@pytest.fixture(scope="module")
def demo_hash_index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    """corpora/demo indexed with the fake embedder: real passages as context, cheaply."""
    folder = tmp_path_factory.mktemp("grammar") / "index"
    build_index([ROOT / "corpora" / "demo"], folder, HashEmbedder())
    return Index.open(folder, embedder=HashEmbedder())


class _Watched(LlamaBackend):
    """The llama.cpp backend, noting the context passages each proposal was given."""

    def __init__(self, generator: LlamaCppGenerator) -> None:
        super().__init__(generator)
        self.contexts: list[list[str]] = []

    def propose(
        self,
        task: str,
        context: Sequence[str],
        history: Sequence[Turn],
        *,
        timeout: float | None = None,
    ) -> Proposal:
        self.contexts.append(list(context))
        return super().propose(task, context, history, timeout=timeout)


@pytest.mark.model
def test_smollm2_under_the_grammar_always_proposes_a_parseable_action(
    smollm: tuple[LlamaCppGenerator, list[Seen]], demo_hash_index: Index, tmp_path: Path
) -> None:
    gen, seen = smollm
    seen.clear()
    backend = _Watched(gen)
    proposals = []
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        for task in [t for t in TASKS if t["id"] in CHOSEN]:
            precheck = ActionChecker(
                Checker(ScriptedCascade(), BlockPolicy()),
                Workspace(tmp_path / "ws"),
                allow_commands=[],
                embedder=HashEmbedder(),
            )
            runner = AgentRunner(
                backend,
                precheck,
                Workspace(tmp_path / "ws"),
                index=demo_hash_index,
                ledger=ledger,
                samples=0,
                max_steps=1,
            )
            result = runner.run(task["task"])
            assert len(result.steps) == 1
            proposals.append(result.steps[0].raw)
        rows = ledger.execute(
            "SELECT purpose, model, prompt_tokens, completion_tokens FROM calls ORDER BY id"
        )
    # one sampled completion too (temperature 0.8): the grammar holds off the greedy path
    task = next(t for t in TASKS if t["id"] == "t1")["task"]
    sampled = backend.samples(task, backend.contexts[0], 1)
    proposals.append(sampled[0].raw)

    assert len(backend.contexts) == 4 and all(len(c) == 3 for c in backend.contexts)
    assert any("2048" in passage for passage in backend.contexts[0])  # t1's answer was shown
    for raw in proposals:
        action = parse_action(raw, "model output")  # never raises: the grammar held
        assert action.to_json() == json.loads(raw)
    assert sampled[0].action is not None and sampled[0].error == ""
    # token counts: the ledger has llama.cpp's own usage, one row per call, in order ...
    assert len(seen) == len(proposals) == 5
    assert rows == [
        ("agent", gen.name, s.usage["prompt_tokens"], s.usage["completion_tokens"])
        for s in seen[:4]
    ]
    assert (sampled[0].prompt_tokens, sampled[0].completion_tokens) == (
        seen[4].usage["prompt_tokens"],
        seen[4].usage["completion_tokens"],
    )
    # ... and llama.cpp's usage is what was really processed, counted independently
    for s in seen:
        assert s.finish_reason == "stop"  # the grammar closed the JSON; no cut at max_tokens
        assert s.usage["prompt_tokens"] == s.prompt_tokens
        assert s.usage["completion_tokens"] == s.sampled - 1  # the last sampling drew EOS
        assert s.usage["completion_tokens"] > 0
