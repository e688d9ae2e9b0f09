"""``verify index PATH...``: build or update the index (incremental, by content hash)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from retrieval import MAX_FILE_BYTES, Index, IndexMissing, build_index, get_embedder

from ..errors import InputError
from ._options import config, index_option, progress_bar, resolve_index_dir, warn

__all__ = ["command"]


@click.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Re-embed everything instead of what changed.")
@click.option(
    "--embedder",
    default=None,
    metavar="NAME|DIR",
    help="Embedding model: a registered name or a sentence-transformers folder "
    "[default: minilm, the bundled all-MiniLM-L6-v2].",
)
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    default=MAX_FILE_BYTES,
    show_default=True,
    help="Skip files larger than this many bytes.",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds to wait for another writer of the same index before giving up.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or warnings on stderr.")
@click.pass_context
def command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    index_dir: Path | None,
    rebuild: bool,
    embedder: str | None,
    max_file_size: int,
    lock_timeout: float,
    as_json: bool,
    quiet: bool,
) -> None:
    """Index files and folders: Markdown, reST, text, config, source code, corpus.jsonl.

    The index mirrors PATHs: changed files are re-embedded, deleted ones removed. With no
    PATH, the paths of the last run are indexed again. Unreadable, binary, empty, huge and
    out-of-root files are skipped with a warning and listed in the summary.

    \b
    Example:
      verify index docs/ runbooks/ --index .verify/index
    """
    folder = resolve_index_dir(ctx, index_dir)
    if not paths:
        try:
            with Index.open(folder) as old:
                paths = tuple(old.paths)
        except IndexMissing:
            raise InputError(
                f"no PATH given and no index at {folder} to take them from; "
                "run `verify index PATH...`"
            ) from None
    for p in paths:
        if not p.exists():
            raise InputError(f"corpus path {str(p)!r} does not exist")
    conf = config(ctx)
    emb = get_embedder(embedder or conf["embedder"], precision=conf["embedder_precision"])
    with progress_bar("embedding", quiet) as progress:
        report = build_index(
            list(paths),
            folder,
            emb,
            rebuild=rebuild,
            max_bytes=max_file_size,
            lock_timeout=lock_timeout,
            warn=None if quiet else warn,
            progress=progress,
        )
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
        return
    click.echo(
        f"indexed {report.documents} documents into {report.index}: {report.added} added, "
        f"{report.updated} updated, {report.unchanged} unchanged, {report.removed} removed; "
        f"{report.chunks} chunks, {report.segments} segments ({report.vector_index}), "
        f"{report.embedded} embedded in {report.seconds:.1f}s"
        + (f" ({report.embedder_precision})" if report.embedder_precision else "")
    )
    if report.skipped:
        click.echo(f"skipped {len(report.skipped)}:")
        for s in report.skipped:
            click.echo(f"  {s.source}: {s.reason}")
