"""``verify batch``: check large inputs on N local processes or a Ray cluster, by id.

- ``_inputs``: items, recorded transcripts and chat-completion logs, keyed by id;
- ``_worker``: the per-item work (``Worker.check``), the same in a process and a Ray actor;
- ``_local`` / ``_ray``: the two engines; ``_journal``: the JSONL output, resumable;
- ``_parquet``: the Parquet copy; ``_progress``: the bar on stderr;
- ``_plugins``: ``VERIFY_PLUGINS`` / ``--plugin``, loaded in every process;
- ``_job``: one run, start to end. docs/batch.md has the user's side.
"""

from ._inputs import FORMATS as INPUT_FORMATS
from ._job import ENGINES, OUT_FORMATS, Job, Report, journal_path, run
from ._journal import row_code
from ._plugins import ENV as PLUGINS_ENV
from ._plugins import load as load_plugins
from ._plugins import specs as plugin_specs
from ._ray import RayChecker
from ._worker import Worker, WorkerSpec

__all__ = [
    "ENGINES",
    "INPUT_FORMATS",
    "OUT_FORMATS",
    "PLUGINS_ENV",
    "Job",
    "RayChecker",
    "Report",
    "Worker",
    "WorkerSpec",
    "journal_path",
    "load_plugins",
    "plugin_specs",
    "row_code",
    "run",
]
