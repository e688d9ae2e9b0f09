"""JUnit XML for CI test tabs: a claim is a test case, a (rule, path) group of findings another.

A claim fails when its verdict blocks by default (contradicted, unverifiable, error); a
group of findings gets one ``<failure>`` per blocking finding, while ``warn`` findings
are listed in its ``<system-out>`` so that a passing gate never shows a failing test.
Text goes through ``_x``: hidden characters, among them everything XML 1.0 cannot carry
(``\\x00``-``\\x08``, lone surrogates, U+FFFE), are written as visible escapes, and
``xml.etree`` escapes the markup characters.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from checks.types import Verdict
from reports._common import reveal, shorten, where
from reports._outcome import Finding, Outcome

_NAME_CHARS = 60


def render(outcome: Outcome, *, title: str) -> str:
    cases = [_claim_case(v, outcome.blocking) for v in outcome.verdicts]
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in outcome.findings:
        groups.setdefault((f.rule, f.path), []).append(f)
    cases += [_findings_case(rule, path, fs) for (rule, path), fs in groups.items()]

    failures = sum(len(c.findall("failure")) for c in cases)
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": "0", "skipped": "0"}
    root = ET.Element("testsuites", {"name": _x(title), **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "verify", **counts})
    props = ET.SubElement(suite, "properties")
    u = outcome.usage
    for key, value in (
        ("decision", outcome.decision),
        ("prompt_tokens", str(u.prompt_tokens)),
        ("completion_tokens", str(u.completion_tokens)),
    ):
        ET.SubElement(props, "property", name=key, value=_x(value))
    suite.extend(cases)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _claim_case(v: Verdict, blocking: frozenset[str]) -> ET.Element:
    name = f"{v.claim.id} {shorten(v.claim.text, _NAME_CHARS)}".strip()
    case = ET.Element("testcase", classname="claims", name=_x(name))
    lines = [f"verdict: {v.label} (score {v.score:.2f})", f"claim: {v.claim.text}"]
    if v.claim.standalone and v.claim.standalone != v.claim.text:
        lines.append(f"checked as: {v.claim.standalone}")
    if v.reason:
        lines.append(f"reason: {v.reason}")
    for ev in v.evidence:
        lines.append(f"evidence {where(ev)}: {ev.quote}")
    detail = _x("\n".join(lines))
    if v.label in blocking:
        message = f"{v.label}: {v.reason}" if v.reason else v.label
        failure = ET.SubElement(case, "failure", message=_x(message), type=_x(v.label))
        failure.text = detail
    else:
        ET.SubElement(case, "system-out").text = detail
    return case


def _findings_case(rule: str, path: str, findings: list[Finding]) -> ET.Element:
    case = ET.Element("testcase", classname="findings", name=_x(f"{rule} {path}"))
    warnings = []
    for f in findings:
        text = f"{f.path}:{f.line}: {f.message}"
        if f.severity == "block":
            failure = ET.SubElement(case, "failure", message=_x(text), type=_x(f.rule))
            failure.text = _x(
                "\n".join([text] + [f"evidence {where(ev)}: {ev.quote}" for ev in f.evidence])
            )
        else:
            warnings.append(f"warn {text}")
    if warnings:
        ET.SubElement(case, "system-out").text = _x("\n".join(warnings))
    return case


def _x(s: str) -> str:
    """Text an XML 1.0 document can carry and a reader can see (markup is etree's job)."""
    return reveal(s, keep="\n\t")
