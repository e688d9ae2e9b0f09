"""Local LLMs behind one small contract (``Generator.generate``), llama.cpp by default."""

from ._base import Generation, Generator, Message, get_generator, register_generator
from ._llama import LlamaCppGenerator, bundled_model_path

__all__ = [
    "Generation",
    "Generator",
    "LlamaCppGenerator",
    "Message",
    "bundled_model_path",
    "get_generator",
    "register_generator",
]
