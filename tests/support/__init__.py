"""Helpers that more than one test module uses: data, builders and assertions, one module per
concern. Test modules import from here (and from ``fakes``), never from one another.

``conftest.py`` registers this package for pytest's assertion rewriting, so a failing
``assert`` in a helper reports its values as one written in the test module would.
"""
