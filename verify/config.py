"""Configuration from ``[tool.verify]`` in pyproject.toml, or from verify.toml, in the cwd.

Every key has a flag of the same name that overrides it; unknown keys are an input error so a
typo never silently weakens a policy. The keys and their defaults are listed in ``DEFAULTS``
and documented in README ("Configuration").
"""

from __future__ import annotations

import os
import time
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from checks.alignment import check_rules
from checks.types import BLOCKING_DEFAULT

from .errors import InputError

__all__ = ["DEFAULTS", "Config", "load_config"]

DEFAULTS: dict[str, Any] = {
    "index": ".verify/index",
    "ledger": ".verify/ledger.db",
    "embedder": "minilm",
    "embedder_precision": "auto",  # auto (bf16 where the CPU has it, else fp32), fp32, bf16
    "user": "",  # empty: $USER
    "block": sorted(BLOCKING_DEFAULT),  # verdicts that block
    "max_blocking": 0,  # how many blocking verdicts are tolerated before the decision blocks
    "support_threshold": 0.4,  # P(supported) at or above which a claim is supported (tuned)
    "contradict_threshold": 0.5,
    "claim_timeout": 30.0,  # seconds per claim before its verdict is `error`
    "run_timeout": 600.0,  # seconds a command (each agent run) may spend checking claims
    # no interpreters by default: an allowlisted interpreter can run anything
    "allow_commands": ["ls", "cat", "grep", "wc", "head", "tail", "echo"],
    "samples": 2,
    "max_steps": 6,
    "disable_rules": [],  # alignment rules switched off (checks.alignment.RULES; --disable-rule)
    "entailment": "bundled",  # entailment model: bundled, a registered name, or a model folder
    "entailment_windows": 4,  # candidate sentences read (with neighbours) per claim
    "entailment_precision": "auto",  # auto (bf16 where the CPU has it, else fp32), fp32, bf16
    # the per-claim stages that run, in their fixed order (checks.cascade.STAGES, which a test
    # holds this list to; not imported here: `verify index` stays light); judge and guards may
    # be left out
    "stages": ["alignment", "signals", "scorer", "verdict", "judge", "guards"],
}


#: Bounds of the numeric keys (inclusive); the same as their flags' where a flag has them.
RANGES: dict[str, tuple[float, float]] = {
    "max_blocking": (0, 2**31),
    "support_threshold": (0.0, 1.0),
    "contradict_threshold": (0.0, 1.0),
    "claim_timeout": (0.001, 86_400.0),
    "run_timeout": (0.001, 7 * 86_400.0),
    "samples": (0, 8),
    "max_steps": (1, 50),
    "entailment_windows": (1, 16),
}


@dataclass(frozen=True)
class Config:
    values: dict[str, Any] = field(default_factory=lambda: dict(DEFAULTS))
    source: str = "defaults"
    #: when the command began (``time.monotonic``): ``run_timeout`` counts from here
    started: float = field(default_factory=time.monotonic, compare=False)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def with_values(self, **values: Any) -> Config:
        """This config with ``values`` set (a command-line flag over the file's key)."""
        unknown = sorted(set(values) - set(DEFAULTS))
        if unknown:
            raise KeyError(f"unknown config key(s) {', '.join(unknown)}")
        return replace(self, values={**self.values, **values})

    @property
    def user(self) -> str:
        return str(
            self.values["user"] or os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"
        )


def load_config(cwd: Path | None = None) -> Config:
    cwd = cwd or Path.cwd()
    found: dict[str, Any] = {}
    source = "defaults"
    verify_toml, pyproject = cwd / "verify.toml", cwd / "pyproject.toml"
    try:
        if verify_toml.is_file():
            source = str(verify_toml)
            found = tomllib.loads(verify_toml.read_text(encoding="utf-8"))
            tool = _table(found.get("tool", {}), "tool", source)
            found = _table(tool.get("verify", found), "tool.verify", source)
        elif pyproject.is_file():
            source = f"{pyproject} [tool.verify]"
            tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
            found = _table(_table(tool, "tool", source).get("verify", {}), "tool.verify", source)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise InputError(f"cannot read config {source}: {exc}") from exc
    unknown = sorted(set(found) - set(DEFAULTS))
    if unknown:
        raise InputError(
            f"unknown key(s) {', '.join(unknown)} in {source}; known: {', '.join(sorted(DEFAULTS))}"
        )
    values = dict(DEFAULTS)
    for key, value in found.items():
        values[key] = _checked(key, value, source)
    return Config(values, source if found else "defaults")


def _table(value: Any, name: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"{source}: `{name}` must be a table, not {value!r:.40}")
    return value


def _checked(key: str, value: Any, source: str) -> Any:
    """``value`` for ``key`` if it has the default's type and lies in ``RANGES``."""
    default = DEFAULTS[key]
    kind = type(default)
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if ok and kind is list:
        ok = all(isinstance(item, str) for item in value)
    if not ok:
        name = "list of strings" if kind is list else kind.__name__
        raise InputError(f"{source}: {key} must be a {name}, not {value!r:.60}")
    if key in RANGES:
        low, high = RANGES[key]
        if not low <= value <= high:  # NaN fails both
            raise InputError(f"{source}: {key} must be from {low:g} to {high:g}, not {value!r}")
    if key == "disable_rules":
        try:
            check_rules(value)
        except ValueError as exc:
            raise InputError(f"{source}: disable_rules: {exc}") from None
    if key in ("embedder_precision", "entailment_precision"):
        from retrieval import PRECISIONS

        if value not in PRECISIONS:
            raise InputError(
                f"{source}: {key} must be one of {', '.join(PRECISIONS)}, not {value!r:.40}"
            )
    if key == "stages":
        from checks.cascade import check_stages

        try:
            check_stages(value)
        except ValueError as exc:
            raise InputError(f"{source}: stages: {exc}") from None
    return value
