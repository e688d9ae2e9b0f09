"""Grounding checks in pytest: ``assert_grounded`` and the plugin that ships with verify.

    from verify.testing import assert_grounded

    def test_answer_is_grounded():
        assert_grounded(my_rag("How long are raw uploads kept?"))

The plugin (entry point ``pytest11``, ``verify.testing._plugin``) adds the fixtures
``verifier`` and ``verify_context``, the marker ``@pytest.mark.grounded`` and the options
``--verify-index``, ``--verify-report``, ``--verify-ledger`` and ``--verify-judge``; see
docs/pytest.md. Importing this package imports no model library: models load at the first
check, once per session.
"""

from ._assert import assert_grounded
from ._context import Context, Passages
from ._failure import GroundingError
from ._ledger import ModelCall
from ._report import REPORT_FORMATS, Checked
from ._session import Block, Verifier, current_verifier

__all__ = [
    "REPORT_FORMATS",
    "Block",
    "Checked",
    "Context",
    "GroundingError",
    "ModelCall",
    "Passages",
    "Verifier",
    "assert_grounded",
    "current_verifier",
]
