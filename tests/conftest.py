"""Shared fixtures: the fake embedder (registered by the public path), a small corpus, an index,
a git repository for ``verify gate`` and headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fakes import Built, HashEmbedder, register, write_corpus

import retrieval

# The helpers in tests/support assert as the tests do: registered before anything imports them,
# so that pytest rewrites their asserts and a failure shows its values.
pytest.register_assert_rewrite("support")

from support.browser import find_chromium  # noqa: E402  (registered first, above)
from support.gate import BASE_FILES, commit, git  # noqa: E402

# Registered when the test session starts, by the same public path a plugin would use, so that
# `verify ... --embedder fake-hash` works in any test and an index built with the fake opens by
# the name stored in its meta.
register()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder of Markdown, YAML, Python and text files plus a corpus.jsonl."""
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def built_index(corpus: Path, tmp_path: Path) -> Built:
    """``corpus`` indexed with the fake embedder into ``tmp_path/index``."""
    embedder = HashEmbedder()
    folder = tmp_path / "index"
    report = retrieval.build_index([corpus], folder, embedder)
    return Built(folder, report, embedder)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository of a small HTTP client package: one commit on ``main``."""
    root = tmp_path / "minihttp"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, BASE_FILES, "Initial package")
    return root


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed on first use (apt-get as root); a failure is a failure."""
    found = find_chromium()
    if found:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail(
            "chromium is missing and cannot be installed here (needs root and apt-get):"
            " apt-get install -y chromium"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
    done = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:  # package lists may be empty on a fresh machine
        subprocess.run(["apt-get", "update"], capture_output=True, env=env, check=False)
        done = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    found = find_chromium()
    if not found:
        pytest.fail(f"could not install chromium: {done.stderr.strip()[-800:]}")
    return found
