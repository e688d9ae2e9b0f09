"""A config file is read by its key paths where its structure names what a value belongs to:
each value of a nested mapping (a TOML ``[a.b]`` table, a YAML mapping under a mapping) or of
an object in a list is a two-cell table row, under its mapping's name or its object's first
value; prose values and comments are sentences of their own (``retrieval._config``, through
``segment_chunk``). A flat file, and one that does not read as a config, stays in runs of
lines, as a chunk's heading already names its section."""

from __future__ import annotations

from retrieval import Document, chunk_document
from retrieval._config import read_config
from retrieval._segments import segment_chunk


def _segments(text: str, source: str) -> list[tuple[int, str]]:
    doc = Document(source, "config", text, "0" * 64, title="Sample")
    return [(s.line, s.text) for c in chunk_document(doc) for s in segment_chunk(c, "config")]


def test_toml_tables_name_their_values() -> None:
    text = (
        "[partitions.std]\nmax_walltime_hours = 72\npreemption = true\n\n"
        "[partitions.himem]\nmax_walltime_hours = 168\n"
        "preemption = false             # long assemblies cannot checkpoint\n"
    )
    got = _segments(text, "sched.toml")
    assert (2, "partitions: std; max_walltime_hours: 72") in got
    assert (7, "partitions: himem; preemption: false") in got
    assert (7, "preemption: false (long assemblies cannot checkpoint)") in got
    assert not any("72" in t and "168" in t for _, t in got), "one value, one segment"


def test_a_json_list_of_objects_reads_as_rows_named_by_their_first_value() -> None:
    text = """{
  "schema_version": 4,
  "flags": [
    {
      "key": "checkout.fast_path",
      "enabled": false,
      "owner_team": "Commerce",
      "regions": ["eu-1", "us-2"],
      "description": "Skips the address check for returning buyers. Off until the audit."
    }
  ]
}
"""
    got = [t for _, t in _segments(text, "flags.json")]
    assert "schema_version: 4" in got  # the top of the file: no row names it
    assert "key: checkout.fast_path; enabled: false" in got
    assert "key: checkout.fast_path; owner_team: Commerce" in got
    assert "key: checkout.fast_path; regions: eu-1, us-2" in got
    assert (
        "checkout.fast_path: Skips the address check for returning buyers. Off until the audit."
        in got
    )


def test_an_object_in_a_later_piece_of_a_long_list_keeps_its_name() -> None:
    flags = ",\n".join(
        f'    {{\n      "key": "team.flag_{i}",\n      "enabled": true,\n'
        f'      "owner_team": "Team {i}"\n    }}'
        for i in range(40)
    )
    got = [t for _, t in _segments('{\n  "flags": [\n' + flags + "\n  ]\n}\n", "flags.json")]
    assert "key: team.flag_39; owner_team: Team 39" in got
    assert not any(t.startswith(("enabled", "owner_team")) for t in got)


def test_yaml_nested_mappings_and_lists() -> None:
    text = (
        "stages:\n  align:\n    tool: tandemap\n    cores: 32   # per node\n"
        "    bundles:\n      - GRCh-v9\n      - GRCh-v8   # kept for reruns\n"
        "  call:\n    tool: calloway\n"
    )
    got = [t for _, t in _segments(text, "pipeline.yaml")]
    assert "stages: align; tool: tandemap" in got
    assert "stages: align; cores: 32" in got and "cores: 32 (per node)" in got
    assert "stages: call; tool: calloway" in got
    assert "bundles: GRCh-v9" in got and "bundles: GRCh-v8 (kept for reruns)" in got


def test_a_flat_file_stays_in_runs_of_lines() -> None:
    text = "APP_PORT=8630\nAPP_REGION=us-east\n"
    assert [c.text for c in read_config(text.split("\n")) or []] == [
        "APP_PORT: 8630",
        "APP_REGION: us-east",
    ]
    assert _segments(text, "app.env") == [(1, "APP_PORT=8630 APP_REGION=us-east")]


def test_a_quoted_dotted_key_is_one_name() -> None:
    text = '[flags."checkout.express_pay"]\nowner = "hazel"\ndefault = false\n'
    got = [t for _, t in _segments(text, "flags.toml")]
    assert got == [
        "flags: checkout.express_pay; owner: hazel",
        "flags: checkout.express_pay; default: false",
    ]


def test_a_hash_inside_quotes_is_the_value_not_a_comment() -> None:
    got = read_config(['channel: "#alerts"   # where pages go'])
    assert got is not None
    assert [c.text for c in got] == ["channel: #alerts", "channel: #alerts (where pages go)"]


def test_what_does_not_read_as_a_config_is_left_to_runs_of_lines() -> None:
    assert read_config(['{"a": 1, "b": {"c": [1, 2]}, "d": "x"}']) is None
    got = _segments('{"a": 1, "b": {"c": [1, 2]}, "d": "x"}\n', "min.json")
    assert got == [(1, '{"a": 1, "b": {"c": [1, 2]}, "d": "x"}')]
