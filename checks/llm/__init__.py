"""Local LLMs behind one small contract (``Generator.generate``), llama.cpp by default;
``generate_within`` makes any generator's call end by its deadline."""

from ._base import (
    Generation,
    Generator,
    Message,
    generator_names,
    get_generator,
    register_generator,
)
from ._llama import LlamaCppGenerator, bundled_model_path
from ._within import generate_within

__all__ = [
    "Generation",
    "Generator",
    "LlamaCppGenerator",
    "Message",
    "bundled_model_path",
    "generate_within",
    "generator_names",
    "get_generator",
    "register_generator",
]
