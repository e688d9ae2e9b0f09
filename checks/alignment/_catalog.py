"""The hand-written rules of the alignment stage, each a ``Rule`` with its examples.

Every rule of the deterministic stage is listed here, in the order ``verify rules`` and the
ablation benchmark show them. Its code asks ``enabled(name)`` (``_switches.py``) where the
rule begins; the verdict's reason names the rules that decided it (``Alignment.rules``). A
value kind switched off is not read at all: the stage neither agrees nor conflicts on it.
Where to add a rule: docs/architecture.md.
"""

from __future__ import annotations

from ._rule import Conclusion, Example, Passage, Rule

__all__ = ["KIND_RULE", "RULES"]


def _value(
    name: str, matches: str, claim: str, evidence: str, off: Conclusion, *, precise: bool = True
) -> Rule:
    """A value rule: the claim's value differs from the evidence's (a conflict); off, the
    value is not read at all."""
    example = Example(claim, (Passage(evidence),), "conflict", off)
    return Rule(name, matches, "value", (example,), precise)


_HISTORY = Passage(
    "Pages were acknowledged within 10 minutes.",
    "docs/2024-03.md",
    cosine=0.95,
    heading="Postmortem: slow paging > Timeline",
)

_ALL: tuple[Rule, ...] = (
    # -- polarity
    Rule(
        "negation",
        'one side negates what the other states ("never retried" / "retries")',
        "polarity",
        (
            Example(
                "Uploads are retried.",
                (Passage("Uploads are never retried."),),
                "conflict",
                "agree",
            ),
        ),
    ),
    Rule(
        "antonyms",
        'opposite state words conflict ("enabled" / "disabled", "manual" / "automatic")',
        "polarity",
        (
            Example(
                "Compression is enabled for uploads.",
                (Passage("Compression is disabled for uploads."),),
                "conflict",
                "neither",
            ),
        ),
    ),
    Rule(
        "quantifiers",
        '"all" against "some"/"only"/"no", and opposite bounds ("at most" / "at least")',
        "polarity",
        (
            Example(
                "All uploads are scanned for malware.",
                (Passage("Only some uploads are scanned for malware."),),
                "conflict",
                "agree",
            ),
        ),
    ),
    Rule(
        "quantifier-phrases",
        'a determiner governs its noun phrase, not the verb after it ("any correction is issued")',
        "polarity",
        (
            Example(
                "Any correction has to be issued as a credit note.",
                (Passage("Credit notes are never issued on invoices older than 18 months."),),
                "neither",
                "conflict",
            ),
        ),
    ),
    Rule(
        "negated-bounds",
        'a strict bound under a negation turns over ("do not run more than 3": at most 3)',
        "polarity",
        (
            Example(
                "At most three sites are resynced at once.",
                (Passage("Do not resync more than three sites at once."),),
                "agree",
                "conflict",
            ),
        ),
    ),
    Rule(
        "universal-quantifier",
        "a claim about all of something is refuted by one counterexample",
        "polarity",
        (
            Example(
                "All pull requests need two approvals.",
                (
                    Passage("Pull requests need two approvals.", cosine=0.95),
                    Passage(
                        "Pull requests to the release branch need three approvals.",
                        line=2,
                        cosine=0.8,
                    ),
                ),
                "conflict",
                "agree",
            ),
        ),
    ),
    Rule(
        "conditions",
        "a negation in an if/unless/when clause or a table cell of conditions is no fact",
        "polarity",
        (
            Example(
                "The page is acknowledged.",
                (Passage("If the page is not acknowledged, it escalates."),),
                "agree",
                "conflict",
            ),
        ),
    ),
    Rule(
        "instructions",
        'a prohibition ("Do not raise X") denies only the action its verb names',
        "polarity",
        (
            Example(
                "The upload timeout can be overridden with FERRO_UPLOAD_TIMEOUT.",
                (Passage("Do not raise the upload timeout during an incident without approval."),),
                "neither",
                "conflict",
            ),
        ),
    ),
    Rule(
        "prohibition-verbs",
        '"forbids X", "X is prohibited" negate X as "never X" does',
        "polarity",
        (
            Example(
                "The runbook forbids restarting all router pods at once.",
                (Passage("Never restart all router pods at once; in-flight pages would be lost."),),
                "agree",
                "conflict",
            ),
            Example(
                "Rerunning a payroll run that has reached the bank is forbidden.",
                (Passage("Never rerun a payroll run that has reached the bank."),),
                "agree",
                "conflict",
            ),
        ),
    ),
    Rule(
        "without-phrases",
        '"without" governs its noun phrase: "a claim without injury is closed" negates injury',
        "polarity",
        (
            Example(
                "A motor claim without injury is closed once documents are missing for 28 days.",
                (Passage("Motor claims are closed when documents are missing for 28 days."),),
                "agree",
                "conflict",
            ),
        ),
    ),
    Rule(
        "boolean-cells",
        'a table cell that says no ("Backed up: no") denies its header of the row\'s subject',
        "polarity",
        (
            Example(
                "The /fast filesystem is backed up.",
                (Passage("Filesystem: fast; Mount point: /fast; Backed up: no; Purge after: 30"),),
                "conflict",
                "agree",
            ),
            Example(  # an identifier's parts name the row's subject; a short row is no header line
                "The checkout fast path is enabled.",
                (Passage("key: checkout.fast_path; enabled: false", "config/feature-flags.json"),),
                "conflict",
                "agree",
            ),
        ),
    ),
    Rule(
        "row-pairs",
        "a claim pairs cells two rows of one table keep apart (one's code, another's meaning)",
        "structure",
        (
            Example(
                "A token that lacks the required scope gets error code TP-1101.",
                (
                    Passage(
                        "Status: 401; Code: TP-1101; Meaning: Missing or expired token", line=3
                    ),
                    Passage(
                        "Status: 403; Code: TP-1103; Meaning: Token lacks the required scope",
                        line=4,
                    ),
                ),
                "conflict",
                "agree",
            ),
        ),
    ),
    Rule(
        "trailing-conditions",
        'a negation followed by a condition ("never X while a run signs") denies only that case',
        "polarity",
        (
            Example(
                "The paymill scheduler is paused before the signing key is rotated.",
                (Passage("Never rotate the signing key while any run is in SIGNING."),),
                "neither",
                "conflict",
            ),
        ),
    ),
    Rule(
        "role-titles",
        "a person and a title do not conflict: the title may be the person's",
        "polarity",
        (
            Example(
                "Correcting a filed payroll run needs Sunniva Okello's approval.",
                (
                    Passage(
                        "Correcting a filed payroll run needs approval from the compliance officer."
                    ),
                ),
                "neither",
                "conflict",
            ),
        ),
    ),
    Rule(
        "unasserted",
        "what was only discussed, proposed or considered is not stated",
        "polarity",
        (
            Example(
                "The transcode call is left without retries.",
                (
                    Passage(
                        "We discussed adding retries to the transcode call and decided against it."
                    ),
                ),
                "neither",
                "conflict",
            ),
        ),
    ),
    Rule(
        "counterfactual",
        'a "would have" clause states nothing',
        "polarity",
        (
            Example(
                "The transcode call is never retried.",
                (Passage("Retrying the transcode call would have doubled the load."),),
                "agree",
                "conflict",
            ),
        ),
    ),
    Rule(
        "roles",
        'who holds a role ("lead Priya Raman") and who must approve',
        "polarity",
        (
            Example(
                "Li Ming leads the Media team.",
                (Passage("Owning team: Media (Team Ash), lead Sarah Fleming, deputy Li Ming."),),
                "conflict",
                "agree",
            ),
        ),
    ),
    # -- document structure
    Rule(
        "history-documents",
        "a history (postmortem, changelog) agreeing does not excuse a current document disagreeing",
        "structure",
        (
            Example(
                "Pages are acknowledged within 10 minutes.",
                (
                    Passage(
                        "Pages must be acknowledged within 5 minutes.", "docs/paging-policy.md"
                    ),
                    _HISTORY,
                ),
                "conflict",
                "agree",
            ),
        ),
    ),
    Rule(
        "past-claims",
        "a claim about a dated past event is told by a history, not refuted by how things are now",
        "structure",
        (
            Example(
                "During the March 2024 incident, pages were acknowledged within 10 minutes.",
                (
                    Passage(
                        "Pages must be acknowledged within 5 minutes.", "docs/paging-policy.md"
                    ),
                    Passage(
                        "In March 2024, pages were acknowledged within 10 minutes.",
                        "docs/2024-03.md",
                        cosine=0.95,
                        heading="Postmortem: slow paging > Timeline",
                    ),
                ),
                "agree",
                "conflict",
            ),
        ),
    ),
    Rule(
        "history-asides",
        'asides on older values ("(previously 5 years)") are left out',
        "structure",
        (
            Example(
                "Raw uploads are kept for 30 days.",
                (
                    Passage(
                        "Raw uploads are kept (previously for 30 days) until the account closes."
                    ),
                ),
                "neither",
                "agree",
            ),
        ),
    ),
    Rule(
        "header-lines",
        "a document's short header line is read with the document's name",
        "structure",
        (
            Example(
                "The paging policy dates from 2024-02-01.",
                (Passage("Effective 2024-03-01.", "docs/paging-policy.md"),),
                "conflict",
                "unstated",
            ),
        ),
    ),
    Rule(
        "table-rows",
        "a table row is read under its header: each cell is about the row's first cell, and "
        "a header's unit is its numbers' (\"Timeout (ms): 45\")",
        "structure",
        (
            Example(
                "GPS traces are deleted after 180 days.",
                (
                    Passage(
                        "Data category: GPS traces; Examples: vehicle positions, driver app "
                        "pings, door sensor events; Retention period: 90 days"
                    ),
                ),
                "conflict",
                "unstated",
            ),
            Example(
                "The uploads service times out after 45 seconds.",
                (Passage("Service: uploads; Owner: Media team; Timeout (ms): 45"),),
                "conflict",
                "agree",
            ),
        ),
    ),
    Rule(
        "column-units",
        "in a table row with a column of the claim's unit, a bare number elsewhere is another "
        'quantity ("Burst: 100" beside "Requests per minute: 600")',
        "structure",
        (
            Example(
                "Accounts on the Business plan are limited to 100 requests per minute.",
                (Passage("Plan: Business; Requests per minute: 600; Burst: 100"),),
                "conflict",
                "agree",
            ),
        ),
    ),
    Rule(
        "dated-cells",
        'a date in a table row is the date of its header\'s event: "Created: 2024-08-05" is no '
        "rival for the day the claim says something else happened",
        "structure",
        (
            Example(
                "The search.semantic_ranking flag was raised to 25% on 2024-09-16.",
                (Passage("flags: search.semantic_ranking; created: 2024-08-05"),),
                "unstated",
                "conflict",
            ),
        ),
    ),
    Rule(
        "continued-sentence",
        "a value may be left to the next sentence of the chunk",
        "structure",
        (
            Example(
                "The signing key is rotated every 90 days.",
                (
                    Passage("The signing key is injected from the vault.", chunk="k", cosine=0.9),
                    Passage("It is rotated every 90 days.", line=2, chunk="k", cosine=0.3),
                ),
                "agree",
                "neither",
            ),
        ),
    ),
    Rule(
        "close-sentence",
        "a claim without values agrees with a sentence that says nearly all it says",
        "structure",
        (
            Example(
                "Uploads are scanned for malware before storage.",
                (Passage("All uploads are scanned for malware before storage in the bucket."),),
                "agree",
                "neither",
            ),
        ),
    ),
    Rule(
        "values-vouch",
        "two agreeing values on half the subject make a sentence about the claim",
        "structure",
        (
            Example(
                "The gold tier has a 500 GB quota and a 30-day retention.",
                (Passage("Tier: gold; Quota: 500 GB; Retention: 30 days", cosine=0.4),),
                "agree",
                "neither",
            ),
        ),
    ),
    Rule(
        "superseded",
        "a superseded document loses to a current one",
        "structure",
        (
            Example(
                "Raw uploads are kept for 14 days.",
                (
                    Passage(
                        "Raw uploads are kept for 14 days.",
                        "docs/v2.md",
                        cosine=0.95,
                        superseded=True,
                    ),
                    Passage("Raw uploads are kept for 30 days.", "docs/retention.md"),
                ),
                "conflict",
                "agree",
            ),
        ),
    ),
    Rule(
        "unstated-numbers",
        "a number that no evidence states is not supported, unless the entailment model reads it",
        "structure",
        (
            Example(
                "The gateway runs 12 replicas.",
                (Passage("The gateway runs replicas in each region."),),
                "unstated",
                "neither",
            ),
        ),
    ),
    # -- value kinds
    _value(
        "durations",
        'durations and periods ("30s", "half a minute", "nightly")',
        "Sessions expire after 30 minutes.",
        "Sessions expire after 45 minutes.",
        "agree+unstated",
    ),
    _value(
        "sizes",
        'sizes ("10 MB", "10 MiB")',
        "The upload limit is 10 MB.",
        "The upload limit is 20 MB.",
        "agree+unstated",
    ),
    _value(
        "percentages",
        'percentages ("58%", "38 percent")',
        "The error budget is 2%.",
        "The error budget is 5%.",
        "agree+unstated",
    ),
    _value(
        "money",
        'amounts of money ("£96,400", "USD 10")',
        "The monthly fee is $40.",
        "The monthly fee is $60.",
        "agree+unstated",
    ),
    _value(
        "dates",
        'dates, weekdays and times of day ("2024-05-01", "May 2024", "09:00 UTC")',
        "The freeze starts on 2024-11-22.",
        "The freeze starts on 2024-11-25.",
        "agree+unstated",
    ),
    _value(
        "versions",
        'versions ("3.14.2", "v3", "Python 3.11")',
        "The gateway runs version 3.4.2.",
        "The gateway runs version 3.4.5.",
        "agree+unstated",
    ),
    _value(
        "ports",
        'ports ("port 8443", ":8443")',
        "The gateway listens on port 8443.",
        "The gateway listens on port 9443.",
        "agree+unstated",
    ),
    _value(
        "status-codes",
        'status codes ("HTTP 413", "returns 422")',
        "Oversized uploads return HTTP 413.",
        "Oversized uploads return HTTP 400.",
        "agree+unstated",
    ),
    _value(
        "counts",
        'counts of a noun and rates ("30 connections", "40 emails per second")',
        "The pool holds 30 connections.",
        "The pool holds 50 connections.",
        "agree+unstated",
    ),
    _value(
        "numbers",
        "bare numbers",
        "The retry limit is 3.",
        "The retry limit is 5.",
        "agree+unstated",
    ),
    _value(
        "identifiers",
        "config keys, env vars, paths, endpoints, files and other identifiers",
        "The limit is set by `upload.max_file_size_mb`.",
        "The limit is set by `upload.max_part_size_mb`.",
        "neither",
    ),
    _value(
        "names",
        'capitalized names of people, teams and products ("Aiko Tanaka", "Lantern")',
        "The gateway is owned by Team Ash.",
        "The gateway is owned by Team Birch.",
        "neither",
        precise=False,
    ),
)

#: rule name -> the rule, in the order ``verify rules`` and the ablation list them
RULES: dict[str, Rule] = {rule.name: rule for rule in _ALL}

#: value kind (``Value.kind``; an identifier of unit "name" is a name) -> the rule reading it
KIND_RULE: dict[str, str] = {
    "duration": "durations",
    "size": "sizes",
    "percent": "percentages",
    "money": "money",
    "date": "dates",
    "time": "dates",
    "version": "versions",
    "port": "ports",
    "status_code": "status-codes",
    "count": "counts",
    "number": "numbers",
    "identifier": "identifiers",
}
