"""JSON exactly as docs/architecture.md fixes it: ``outcome.to_json()``, indented, UTF-8 kept.

One liberty with the bytes, none with the data: hidden characters (bidi overrides,
zero-width spaces, C1 controls, lone surrogates) are written as ``\\uXXXX`` escapes, so
``cat report.json`` shows them and the file always encodes as UTF-8; ``json.loads`` gives
back exactly the same strings.
"""

from __future__ import annotations

import json

from reports._common import json_escape, reveal
from reports._outcome import Outcome


def render(outcome: Outcome) -> str:
    raw = json.dumps(outcome.to_json(), indent=2, sort_keys=False, ensure_ascii=False)
    # Outside strings JSON is ASCII and newlines, so every hidden character left is inside
    # a string, where a \u escape stands for the same character.
    return reveal(raw, keep="\n", code=json_escape) + "\n"
