"""SARIF 2.1.0 for code-scanning tools: findings and claims that are not supported.

A finding becomes a result at its ``path``/``line``; a claim that is not supported becomes a
result of rule ``claim/<verdict>``, located at its first evidence (where the corpus says
otherwise) or, with no evidence, at the stand-in ``verify-unlocated`` (code scanning rejects
a file with a location-less result). Every rule used is described once in
``tool.driver.rules``. Message texts show hidden characters as escapes (a bidi override must
not reorder what a code-scanning page shows); the JSON is written like the ``json`` format.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from checks.types import Evidence, Verdict
from reports._common import json_escape, reveal, shorten, where
from reports._outcome import Finding, Outcome

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_QUOTE_CHARS = 200

_CLAIM_RULES = {
    "contradicted": (
        "Claim contradicted by the corpus",
        "The corpus holds a passage that states the opposite of this claim.",
        "Correct the claim to agree with the cited passage, or fix the passage if it is stale.",
    ),
    "unverifiable": (
        "Claim not supported by the corpus",
        "No passage of the corpus supports this claim, so it cannot be trusted.",
        "Remove the claim, rephrase it to what the corpus states, or add the missing document.",
    ),
    "error": (
        "Claim could not be checked",
        "Checking this claim failed (a crash, a timeout or a model failure); verify fails "
        "closed, so the claim counts as blocking.",
        "Re-run verify; if the error persists, look at the reason and the harness logs.",
    ),
    "supported": (
        "Claim supported by the corpus",
        "The corpus holds a passage that supports this claim.",
        "Nothing to do.",
    ),
}


def render(outcome: Outcome, *, version: str, information_uri: str | None = None) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results = [_finding_result(f, rules) for f in outcome.findings]
    results += [
        _claim_result(v, outcome, rules) for v in outcome.verdicts if v.label != "supported"
    ]
    driver: dict[str, Any] = {"name": "verify", "version": version}
    if information_uri:
        driver["informationUri"] = information_uri
    driver["rules"] = list(rules.values())
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "results": results,
                "properties": {
                    "decision": outcome.decision,
                    "summary": outcome.summary(),
                    "usage": outcome.usage.to_json(),
                },
            }
        ],
    }
    raw = json.dumps(log, indent=2, ensure_ascii=False)
    return reveal(raw, keep="\n", code=json_escape) + "\n"


def _rule(rules: dict[str, dict[str, Any]], rule_id: str, level: str) -> int:
    """Index of ``rule_id`` in ``rules``, described on first use; a rule's default level
    is the most severe level any of its results has.

    Rules are keyed by the id as written (hidden characters escaped), so two ids that read
    the same are one rule, as SARIF's unique ``rules`` array needs.
    """
    key = _t(rule_id)
    if key not in rules:
        label = rule_id.removeprefix("claim/")
        if rule_id.startswith("claim/") and label in _CLAIM_RULES:
            short, full, help_text = _CLAIM_RULES[label]
        else:
            short = f"verify gate rule {rule_id}"
            full = f"A finding of the verify gate ({rule_id}) on a line of the change."
            help_text = "See the rule ids in verify's README for what the rule checks."
        rules[key] = {
            "id": key,
            "name": key,
            "shortDescription": {"text": _t(short)},
            "fullDescription": {"text": _t(full)},
            "help": {"text": _t(help_text)},
            "defaultConfiguration": {"level": level},
        }
    elif level == "error":
        rules[key]["defaultConfiguration"]["level"] = "error"
    return list(rules).index(key)


def _finding_result(f: Finding, rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    level = "error" if f.severity == "block" else "warning"
    result: dict[str, Any] = {
        "ruleId": _t(f.rule),
        "ruleIndex": _rule(rules, f.rule, level),
        "level": level,
        "message": {"text": _t(f.message) or _t(f.rule)},
    }
    # GitHub code scanning rejects a whole file if one result has no location
    result["locations"] = [_location(f.path or UNLOCATED, f.line if f.path else 1)]
    if f.evidence:
        result["relatedLocations"] = _related(f.evidence)
    return result


def _claim_result(v: Verdict, outcome: Outcome, rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    # A verdict the deciding policy blocks on is an error only where it did block the outcome.
    level = "error" if v.label in outcome.blocking and outcome.decision == "block" else "warning"
    rule_id = f"claim/{v.label}"
    text = f"{v.label} claim: {v.claim.text}" + (f" — {v.reason}" if v.reason else "")
    result: dict[str, Any] = {
        "ruleId": _t(rule_id),
        "ruleIndex": _rule(rules, rule_id, level),
        "level": level,
        "message": {"text": _t(text)},
        "properties": {
            "claimId": _t(v.claim.id),
            "claim": _t(v.claim.text),
            "verdict": _t(v.label),
            "score": round(v.score, 4),
        },
    }
    if v.evidence:
        first = v.evidence[0]
        result["locations"] = [_location(first.source, first.start_line, first.end_line)]
        result["relatedLocations"] = _related(v.evidence)
    else:
        result["locations"] = [_location(UNLOCATED, 1)]
    return result


#: Where results with no file of their own (a claim without evidence, a finding on the
#: description) are placed: every result needs a location for GitHub code scanning.
UNLOCATED = "verify-unlocated"


def _location(path: str, line: int, end_line: int = 0) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(path)}}
    if line >= 1:
        physical["region"] = {"startLine": line}
        if end_line >= line:
            physical["region"]["endLine"] = end_line
    return {"physicalLocation": physical}


def _related(evidence: tuple[Evidence, ...]) -> list[dict[str, Any]]:
    """Each piece of evidence as a related location, once (SARIF wants them unique)."""
    out: list[dict[str, Any]] = []
    for ev in evidence:
        loc = _location(ev.source, ev.start_line, ev.end_line)
        loc["message"] = {"text": _t(f"{where(ev)}: {shorten(ev.quote, _QUOTE_CHARS)}")}
        if loc not in out:
            out.append(loc)
    return out


def _uri(path: str) -> str:
    """A relative path as a URI reference: ``docs/a b.md`` -> ``docs/a%20b.md``."""
    return quote(path.replace("\\", "/"), safe="/", errors="backslashreplace")


def _t(s: str) -> str:
    return reveal(s, keep="\n\t")
