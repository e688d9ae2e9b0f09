"""``verify rules``: the hand-written rules of the alignment stage, each with what it matches."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from checks.alignment import RULES

__all__ = ["command"]


@click.command("rules")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the rules, with their examples, as JSON."
)
def command(as_json: bool) -> None:
    """List the rules of the deterministic alignment stage: name, kind, what it matches.

    An imprecise rule (names) does not decide alone: where a conflict or an agreement rests
    on it only, the entailment model's reading of the claim weighs in. A verdict's reason
    names the rules that decided it ("decided by alignment[ports]"). Switch one off with
    --disable-rule NAME on check, batch, bench, gate and run, or with `disable_rules` in
    [tool.verify]; benchmarks/ablation.py measures each one switched off.

    \b
    Example:
      verify rules
      verify check "The gateway listens on port 9443." --disable-rule ports
    """
    if as_json:
        click.echo(json.dumps([asdict(rule) for rule in RULES.values()], indent=2))
        return
    width = max(len(name) for name in RULES)
    for rule in RULES.values():
        weighed = "" if rule.precise else " [imprecise: weighed with the entailment model]"
        click.echo(f"{rule.name:<{width}}  {rule.kind:<9}  {rule.matches}{weighed}")
