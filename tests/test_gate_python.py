"""The Python plugin: hallucinated imports, attributes, names and call signatures.

Each case is a small repository in memory, before and after a change; only lines the
change adds are reported. The second half are the false positives a gate must not raise:
a finding that blocks a correct change costs as much trust as a missed one.
"""

from __future__ import annotations

import difflib
import textwrap
from pathlib import Path

import pytest

from reports import Finding
from verify.gate import (
    Change,
    Context,
    Environment,
    LanguagePlugin,
    MemorySnapshot,
    code_findings,
    languages,
    parse_patch,
    plugin_for,
)

PKG = {
    "pyproject.toml": '[project]\nname = "shop"\ndependencies = ["click"]\n',
    "src/shop/__init__.py": '"""Shop."""\nfrom .cart import Cart\nfrom .pricing import *\n',
    "src/shop/cart.py": """\
        from __future__ import annotations

        from dataclasses import dataclass, field


        class Base:
            currency = "EUR"

            def describe(self) -> str:
                return self.currency


        class Cart(Base):
            def __init__(self, owner: str, *, limit: int = 10) -> None:
                self.owner = owner
                self.items: list[str] = []

            def add(self, item: str, qty: int = 1, /) -> None:
                self.items.append(item)

            @staticmethod
            def parse(text: str) -> Cart:
                return Cart(text)

            @classmethod
            def empty(cls, owner: str) -> Cart:
                return cls(owner)

            @property
            def size(self) -> int:
                return len(self.items)


        @dataclass
        class Line:
            sku: str
            qty: int = 1
            tags: list[str] = field(default_factory=list)


        def total(prices: list[float], *extra: float, discount: float = 0.0,
                  **options: object) -> float:
            return sum(prices) + sum(extra) - discount
        """,
    "src/shop/pricing.py": """\
        __all__ = ["price_of", "VAT"]
        VAT = 0.2


        def price_of(sku: str, region: str = "eu") -> float:
            return 1.0
        """,
    "src/shop/plugins/__init__.py": "",
    "src/shop/plugins/loader.py": "def load(name): return name\n",
    "scripts/tool.py": "import helper\n",
    "scripts/helper.py": "def run(): pass\n",
}


def dedent(files: dict[str, str]) -> dict[str, str]:
    return {k: textwrap.dedent(v) for k, v in files.items()}


def change_of(before: dict[str, str], after: dict[str, str], description: str = "") -> Change:
    before, after = dedent(before), dedent(after)
    parts = []
    for path in sorted(set(before) | set(after)):
        a, b = before.get(path), after.get(path)
        if a == b:
            continue
        parts += difflib.unified_diff(
            (a or "").splitlines(keepends=True),
            (b or "").splitlines(keepends=True),
            "/dev/null" if a is None else f"a/{path}",
            "/dev/null" if b is None else f"b/{path}",
        )
    patch = parse_patch("".join(p if p.endswith("\n") else p + "\n" for p in parts))
    return Change(Path(), patch, MemorySnapshot(before), MemorySnapshot(after), description)


def findings_for(
    new_code: str, path: str = "src/shop/new.py", extra: dict[str, str] | None = None
) -> list[Finding]:
    before = dict(PKG)
    after = {**PKG, **(extra or {}), path: new_code}
    change = change_of(before, after)
    return code_findings(change, Environment.current(before=["click"], after=["click"]))


def rules_lines(found: list[Finding]) -> list[tuple[str, int]]:
    return sorted((f.rule, f.line) for f in found)


# -- what must be found ----------------------------------------------------------------
def test_made_up_modules_and_submodules() -> None:
    found = findings_for("""\
        import os
        import yaml_turbo
        import shop.missing
        from shop.plugins import loaderz
        from . import nothing_here
        from .cart import Cart
        import clik
        """)
    assert rules_lines(found) == [
        ("code/unknown-attribute", 4),
        ("code/unknown-attribute", 5),
        ("code/unknown-import", 2),
        ("code/unknown-import", 3),
        ("code/unknown-import", 7),
    ]
    by_line = {f.line: f.message for f in found}
    assert "did you mean 'loader'" in by_line[4]
    assert "did you mean 'click'" in by_line[7]
    assert "src/shop" in by_line[3]


def test_missing_functions_classes_and_methods() -> None:
    found = findings_for("""\
        from shop import cart, pricing
        from shop.cart import Cart, totl
        from shop.pricing import price_for

        cart.Cart("a").checkout()
        pricing.price_of("x")
        pricing.discount_of("x")
        Cart.parse("a").owner
        Cart.empty("a").remove("x")
        c = Cart("x")
        c.describe()
        c.currency
        c.shipping
        """)
    assert rules_lines(found) == [("code/unknown-attribute", n) for n in (2, 3, 5, 7, 9, 13)]
    assert "did you mean 'total'" in next(f.message for f in found if f.line == 2)


def test_self_calls_to_methods_the_class_does_not_have() -> None:
    found = findings_for("""\
        class Report:
            def __init__(self) -> None:
                self.rows = []

            def render(self) -> str:
                self.rows.append(1)
                return self.format_rows()

            def size(self) -> int:
                return len(self.rows)
        """)
    assert rules_lines(found) == [("code/unknown-attribute", 7)]


def test_call_signatures_into_the_repo() -> None:
    found = findings_for("""\
        from shop.cart import Cart, Line, total
        from shop.pricing import price_of

        price_of("a", "eu", "extra")
        price_of(sku="a", regoin="eu")
        price_of()
        price_of("a", sku="b")
        Cart("me", 5)
        Cart(owner="me", limit=3)
        Cart("me").add("x", qty=2)
        Cart.parse("a", "b")
        Cart.empty("me")
        Line("sku", 2, [], 9)
        Line(qty=2)
        total([1.0], 2.0, 3.0, discount=1.0, anything=True)
        total()
        """)
    assert rules_lines(found) == [
        ("code/bad-call-signature", n) for n in (4, 5, 6, 7, 8, 10, 11, 13, 14, 16)
    ]
    by_line = {f.line: f.message for f in found}
    assert "takes 2 positional arguments but 3 were given" in by_line[4]
    assert "unexpected keyword argument `regoin` (did you mean `region`?)" in by_line[5]
    assert "missing required argument `sku`" in by_line[6]
    assert "multiple values for argument `sku`" in by_line[7]
    assert "positional-only" in by_line[10]
    assert "price_of(sku, region=…)" in by_line[4]
    assert found[0].evidence[0].source == "src/shop/pricing.py"


def test_undefined_names_on_added_lines_only() -> None:
    found = findings_for("""\
        import json


        def dump(data):
            return json.dumps(normalise(data))
        """)
    assert rules_lines(found) == [("code/undefined-name", 5)]


def test_a_file_that_no_longer_parses() -> None:
    found = findings_for("def broken(:\n    pass\n")
    assert rules_lines(found) == [("code/syntax-error", 1)]


def test_only_added_lines_are_reported() -> None:
    before = {**PKG, "src/shop/old.py": "import yaml_turbo\nx = 1\n"}
    after = {**PKG, "src/shop/old.py": "import yaml_turbo\nx = 2\nimport another_fake\n"}
    found = code_findings(change_of(before, after), Environment.current())
    assert rules_lines(found) == [("code/unknown-import", 3)]


def test_a_multi_line_call_is_checked_when_an_argument_line_is_added() -> None:
    head = 'from shop.pricing import price_of\nprice_of(\n    "a",\n'
    before = {**PKG, "src/shop/use.py": head + ")\n"}
    after = {**PKG, "src/shop/use.py": head + '    "eu", 3,\n)\n'}
    found = code_findings(change_of(before, after), Environment.current())
    assert rules_lines(found) == [("code/bad-call-signature", 4)]


# -- what must not be found -----------------------------------------------------------
def test_no_false_positives_on_correct_code() -> None:
    found = findings_for("""\
        from __future__ import annotations

        import importlib
        import os.path
        import sys
        from typing import TYPE_CHECKING

        import click

        import shop
        from shop import Cart, VAT, price_of
        from shop.cart import Line, total
        from shop.plugins import loader
        from shop.plugins.loader import load

        if TYPE_CHECKING:
            from collections.abc import Iterator

        try:
            import ujson as json
        except ImportError:
            import json

        if sys.version_info >= (3, 14):
            import annotationlib  # noqa: F401


        class Special(Cart):
            extra = 1

            def run(self) -> str:
                self.note = "x"
                return self.describe() + self.owner + str(self.size) + self.note


        class Mixed(Cart, click.Command):
            def go(self) -> None:
                self.invoke(None)  # from click.Command: unknown, so never reported


        def use(items: list[str], *args: object, **kwargs: object) -> None:
            cart = Cart("me", limit=3)
            cart.add("x", 2)
            cart.describe()
            Cart.parse("text").add("y")
            Cart.empty(owner="me")
            Line("sku")
            Line("sku", 2, tags=["a"])
            total([1.0], 2.0, discount=1.0, colour="red")
            total(*args, **kwargs)
            price_of(*items)
            price_of(**kwargs)
            shop.Cart("x")
            shop.price_of("x", region="us")
            loader.load("y")
            load("z")
            json.dumps(VAT)
            os.path.join("a", "b")
            importlib.import_module("anything_at_all")
            mod = importlib.import_module("shop.cart")
            mod.whatever_dynamic
            [x for x in items if x]
            lambda y: y + 1
            print(__file__, __name__)


        def rebound() -> None:
            Cart = dict  # noqa: N806 - a local shadows the import: no longer known
            Cart(a=1, b=2, c=3)
        """)
    assert found == []


def test_dynamic_modules_and_classes_are_never_reported() -> None:
    extra = {
        "src/shop/dyn.py": "def __getattr__(name):\n    return name\n",
        "src/shop/glob.py": "globals()['made'] = 1\n",
        "src/shop/starry.py": "from os.path import *\n",
        "src/shop/meta.py": "class M(type): pass\nclass K(metaclass=M):\n    pass\n",
        "src/shop/deco.py": "import functools\n\n@functools.total_ordering\nclass D:\n"
        "    pass\n\ndef wrap(f): return f\n\n@wrap\ndef g(a): return a\n",
    }
    found = findings_for(
        """\
        from shop import dyn, glob, starry, meta, deco
        from shop.dyn import anything
        dyn.whatever
        glob.made
        starry.join("a")
        meta.K.anything
        deco.g(1, 2, 3)
        """,
        extra=extra,
    )
    assert found == []


def test_scripts_import_their_siblings_and_stdlib_names_are_not_shadowed() -> None:
    found = findings_for(
        "import helper\nimport types\nfrom types import SimpleNamespace\nhelper.run()\n",
        path="scripts/more.py",
        extra={"src/shop/types.py": "X = 1\n"},
    )
    assert found == []


def test_a_new_module_in_the_same_change_is_known() -> None:
    found = findings_for(
        "from shop.fresh import make\nmake(1)\n",
        extra={"src/shop/fresh.py": "def make(n):\n    return n\n"},
    )
    assert found == []


def test_declared_but_not_installed_dependencies_are_importable() -> None:
    before = {
        **PKG,
        "pyproject.toml": '[project]\nname = "shop"\ndependencies = ["pyyaml", "internal-sdk"]\n',
    }
    after = {**before, "src/shop/cfg.py": "import yaml\nimport internal_sdk\n"}
    env = Environment.current(before=["pyyaml", "internal-sdk"])
    assert code_findings(change_of(before, after), env) == []


def test_the_plugin_registry() -> None:
    assert plugin_for("a/b.py") is not None and plugin_for("a/b.rs") is None
    assert "python" in [p.name for p in languages()]

    class Toy(LanguagePlugin):
        name = "toy"
        suffixes = (".toy",)

        def check(self, files, ctx: Context) -> list[Finding]:  # type: ignore[no-untyped-def]
            return [Finding("code/toy", "warn", f.path, 1, "seen") for f in files]

    from verify.gate import register_language
    from verify.gate._languages import _REGISTRY

    register_language(Toy)
    try:
        change = change_of({}, {"x.toy": "hello\n"})
        found = code_findings(change, Environment.current())
        assert [(f.rule, f.path) for f in found] == [("code/toy", "x.toy")]
    finally:
        _REGISTRY.pop("toy")


@pytest.mark.parametrize(
    "path", ["verify/gate/_gate.py", "verify/cli/gate.py", "tests/test_gate_python.py"]
)
def test_this_repository_passes_its_own_gate(path: str) -> None:
    """Every line of a few real files, added to the real repository: nothing to report."""
    root = Path(__file__).resolve().parents[1]
    files = {}
    for p in root.rglob("*.py"):
        rel = p.relative_to(root).as_posix()
        if not rel.startswith((".venv", ".verify")):
            files[rel] = p.read_text(encoding="utf-8")
    before = {k: v for k, v in files.items() if k != path}
    change = Change(
        root,
        parse_patch(
            "".join(
                difflib.unified_diff(
                    [], files[path].splitlines(keepends=True), "/dev/null", f"b/{path}"
                )
            )
        ),
        MemorySnapshot(before),
        MemorySnapshot(files),
    )
    assert code_findings(change, Environment.current()) == []
