"""The token ledger: every model call, gated action and run, in one SQLite file.

Writers call ``Ledger.open(path)`` then ``start_run``, ``record_call``, ``record_action`` and
``finish_run``; importers write whole batches with ``Ledger.add``; ``verify usage`` reads
columns with ``Ledger.frames``. The schema and its migrations: docs/ledger.md.
"""

from ._fingerprint import MINHASH_SIZE, Fingerprint, fingerprint, minhash
from ._ledger import BUSY_TIMEOUT_MS, MAX_OUTPUT_CHARS, PURPOSES, Ledger
from ._read import PURPOSE_CODES, ActionFrame, CallFrame, Frames, RunFrame
from ._records import ActionRow, CallRow, RunRow
from ._schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "APPLICATION_ID",
    "BUSY_TIMEOUT_MS",
    "MAX_OUTPUT_CHARS",
    "MIGRATIONS",
    "MINHASH_SIZE",
    "PURPOSES",
    "PURPOSE_CODES",
    "SCHEMA_VERSION",
    "ActionFrame",
    "ActionRow",
    "CallFrame",
    "CallRow",
    "Fingerprint",
    "Frames",
    "Ledger",
    "RunFrame",
    "RunRow",
    "fingerprint",
    "minhash",
]
