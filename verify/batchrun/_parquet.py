"""``--format parquet``: the finished JSONL output, converted with pyarrow at the end.

Results are always written as JSON lines first (``<OUT>.jsonl``: what ``--resume`` reads);
once every id has its line, ``write_parquet`` streams them into ``OUT`` in row groups of
``ROW_GROUP`` lines, through a temporary file renamed over ``OUT``: a reader sees the old
file or the whole new one. Columns: ``id``, ``decision``, ``claims`` (a list of structs with
the claim's ``id``, ``text``, ``verdict``, ``score``, ``evidence`` and ``reason``),
``summary`` and ``usage`` (structs), and, on error lines, ``error``, ``source``, ``line``
and ``exit_code``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["ROW_GROUP", "write_parquet"]

ROW_GROUP = 10_000


def _schema() -> Any:
    import pyarrow as pa

    evidence = pa.struct(
        [
            ("source", pa.string()),
            ("start_line", pa.int64()),
            ("end_line", pa.int64()),
            ("quote", pa.string()),
            ("chunk_id", pa.string()),
        ]
    )
    claim = pa.struct(
        [
            ("id", pa.string()),
            ("text", pa.string()),
            ("verdict", pa.string()),
            ("score", pa.float64()),
            ("evidence", pa.list_(evidence)),
            ("reason", pa.string()),
        ]
    )
    counts = ["supported", "contradicted", "unverifiable", "error"]
    tokens = ["prompt_tokens", "completion_tokens"]
    return pa.schema(
        [
            ("id", pa.string()),
            ("decision", pa.string()),
            ("claims", pa.list_(claim)),
            ("summary", pa.struct([(k, pa.int64()) for k in counts])),
            ("usage", pa.struct([(k, pa.int64()) for k in tokens])),
            ("error", pa.string()),
            ("source", pa.string()),
            ("line", pa.int64()),
            ("exit_code", pa.int64()),
        ]
    )


def write_parquet(jsonl: Path, out: Path) -> None:
    """Write every line of ``jsonl`` to ``out`` as Parquet (see the module docstring)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise InputError(
            f"--format parquet needs pyarrow ({exc}): pip install pyarrow, or 'verify[ray]'"
        ) from exc
    from reports import sweep_temp, temp_name

    schema = _schema()
    sweep_temp(out.parent)
    tmp = out.with_name(temp_name())
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for rows in _groups(jsonl):
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(out)
    except OSError as exc:
        raise InputError(f"cannot write {str(out)!r}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def _groups(jsonl: Path) -> Iterator[list[dict[str, Any]]]:
    group: list[dict[str, Any]] = []
    with jsonl.open("rb") as fh:
        for line in fh:
            if line.strip():
                group.append(json.loads(line))
            if len(group) >= ROW_GROUP:
                yield group
                group = []
    if group:
        yield group
