"""verify: check what an agent says against your own corpus before it may act."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Looked up on first use (PEP 562), so that ``import verify`` -- which every pytest session
    # does through the ``pytest11`` entry point -- imports nothing else of ours.
    if name == "__version__":
        from reports import DEFAULT_VERSION  # the installed distribution's version

        return DEFAULT_VERSION
    raise AttributeError(f"module 'verify' has no attribute {name!r}")
