"""The token ledger: every model call, gated action and run, in one SQLite file.

Writers call ``Ledger.open(path)`` then ``start_run``, ``record_call``, ``record_action`` and
``finish_run``; importers write whole batches with ``Ledger.add``; ``verify usage`` reads
columns with ``Ledger.frames``, or keeps pre-aggregated sums up to date with
``Ledger.refresh_usage`` and reads them with ``Ledger.usage_view``. The schema and its
migrations: docs/ledger.md.
"""

from ._aggregates import (
    DAY,
    DIMS,
    EVIDENCE_CALLS,
    REPORTED_SCALE,
    SUMS,
    WASTE,
    RunSums,
    RunTable,
    Totals,
    day_of,
)
from ._connection import BUSY_TIMEOUT_MS
from ._fingerprint import MINHASH_SIZE, Fingerprint, fingerprint, minhash
from ._insert import MAX_OUTPUT_CHARS, PURPOSES
from ._ledger import Ledger
from ._read import PURPOSE_CODES, ActionFrame, CallFrame, Frames, RunFrame
from ._records import ActionRow, CallRow, RunRow
from ._schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from ._view import UsageView

__all__ = [
    "APPLICATION_ID",
    "BUSY_TIMEOUT_MS",
    "DAY",
    "DIMS",
    "EVIDENCE_CALLS",
    "MAX_OUTPUT_CHARS",
    "MIGRATIONS",
    "MINHASH_SIZE",
    "PURPOSES",
    "PURPOSE_CODES",
    "REPORTED_SCALE",
    "SCHEMA_VERSION",
    "SUMS",
    "WASTE",
    "ActionFrame",
    "ActionRow",
    "CallFrame",
    "CallRow",
    "Fingerprint",
    "Frames",
    "Ledger",
    "RunFrame",
    "RunRow",
    "RunSums",
    "RunTable",
    "Totals",
    "UsageView",
    "day_of",
    "fingerprint",
    "minhash",
]
