"""Errors of ``checks``; the whole tree is drawn in verify/errors.py."""

from __future__ import annotations

__all__ = ["CheckError", "CheckTimeout"]


class CheckError(Exception):
    """A check could not compute a verdict; the claim's verdict becomes ``error`` (exit 3)."""


class CheckTimeout(CheckError):
    """A check ran past its deadline."""
