"""verify: check what an agent says against your own corpus before it may act."""

__version__ = "0.1.0"
__all__ = ["__version__"]
