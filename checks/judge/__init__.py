"""The optional LLM judge of the cascade (grammar-constrained, data delimited)."""

from ._judge import GRAMMAR, Judge, JudgeAnswer, LlmJudge, build_messages

__all__ = ["GRAMMAR", "Judge", "JudgeAnswer", "LlmJudge", "build_messages"]
