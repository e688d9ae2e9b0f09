"""verify: check what an agent says against your own corpus before it may act."""

from reports import DEFAULT_VERSION as __version__  # the installed distribution's version

__all__ = ["__version__"]
