"""``verify search QUERY``: hybrid (dense + lexical) search of the index."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import click

from retrieval import Index

from ._options import config, index_option, resolve_index_dir

__all__ = ["command"]


@click.command("search")
@click.argument("query")
@index_option
@click.option(
    "-k", "k", type=click.IntRange(1, 1000), default=5, show_default=True, help="How many results."
)
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense", "lexical"]),
    default="hybrid",
    show_default=True,
    help="Dense (FAISS), lexical (FTS5 BM25) or both fused (RRF).",
)
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@click.pass_context
def command(
    ctx: click.Context, query: str, index_dir: Path | None, k: int, mode: str, as_json: bool
) -> None:
    """Search the index for QUERY; prints source, lines, score and text.

    \b
    Example:
      verify search "what port does the upload gateway listen on" -k 3
    """
    if not query.strip():
        raise click.BadParameter("QUERY is empty", param_hint="QUERY")
    precision = config(ctx)["embedder_precision"]
    with Index.open(resolve_index_dir(ctx, index_dir), precision=precision) as index:
        hits = index.search(query, k, mode=mode)  # type: ignore[arg-type]
    if as_json:
        click.echo(
            json.dumps({"results": [h.to_json() for h in hits]}, indent=2, ensure_ascii=False)
        )
        return
    if not hits:
        click.echo("no results")
    for n, hit in enumerate(hits, 1):
        c = hit.chunk
        click.echo(
            click.style(f"{n}. {c.source}:{c.start_line}-{c.end_line}", bold=True)
            + f"  score {hit.score:.3f}"
        )
        body = textwrap.shorten(" ".join(c.text.split()), 300, placeholder=" …")
        click.echo(textwrap.indent(textwrap.fill(body, 96), "   "))
