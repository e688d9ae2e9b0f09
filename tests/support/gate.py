"""Real git repositories for ``verify gate``: a small HTTP client package with docs, the
agent's commit (a made-up import, a call to a function the package lacks, a made-up
dependency, claimed tests, a contradicted default), and the gate run through the CLI. The
``repo`` fixture in ``conftest.py`` builds the package's first commit with these."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

from click.testing import CliRunner

from verify.cli import cli

EMBED = ["--embedder", "fake-hash"]

BASE_FILES = {
    "pyproject.toml": """\
        [project]
        name = "minihttp"
        version = "0.1.0"
        dependencies = [
            "click>=8.1",
        ]
        """,
    "README.md": """\
        # minihttp

        A tiny HTTP client used by the ingest service.
        """,
    "docs/client.md": """\
        # Client

        The request timeout defaults to 30 seconds.
        Failed requests are retried 3 times before the client gives up.
        The client sends the header `X-Ingest-Client` with every request.
        """,
    "minihttp/__init__.py": """\
        \"\"\"A tiny HTTP client.\"\"\"

        from .client import Client, fetch

        __all__ = ["Client", "fetch"]
        """,
    "minihttp/client.py": """\
        \"\"\"The client: one GET at a time, with retries.\"\"\"

        from __future__ import annotations

        from .util import join_url

        DEFAULT_TIMEOUT = 30.0


        class Client:
            def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
                self.base_url = base_url
                self.timeout = timeout

            def get(self, path: str, *, retries: int = 3) -> str:
                return fetch(join_url(self.base_url, path), self.timeout)


        def fetch(url: str, timeout: float = DEFAULT_TIMEOUT) -> str:
            return f"GET {url} ({timeout}s)"
        """,
    "minihttp/util.py": """\
        \"\"\"URL helpers.\"\"\"


        def join_url(base: str, path: str) -> str:
            return base.rstrip("/") + "/" + path.lstrip("/")
        """,
    "tests/test_client.py": """\
        from minihttp import Client


        def test_get():
            assert Client("http://x").get("/a") == "GET http://x/a (30.0s)"
        """,
}

AGENT_FILES = {
    "minihttp/cache.py": """\
        \"\"\"A response cache in front of the client.\"\"\"

        from __future__ import annotations

        import functools

        import requests_cache_turbo

        from minihttp import client
        from minihttp.util import join_url


        @functools.lru_cache(maxsize=128)
        def cached_fetch(base: str, path: str) -> str:
            \"\"\"Fetch through the cache.

            The request timeout defaults to 60 seconds.
            \"\"\"
            requests_cache_turbo.install()
            return client.fetch_with_retries(join_url(base, path))
        """,
}
AGENT_PYPROJECT = BASE_FILES["pyproject.toml"].replace(
    '"click>=8.1",', '"click>=8.1",\n            "requests-cache-turbo>=2.0",'
)
AGENT_MESSAGE = "Add a response cache with tests\n\nCaches GET responses per URL."


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    out = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    )
    return out.stdout


def write(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def agent_commit(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "agent")
    commit(repo, {**AGENT_FILES, "pyproject.toml": AGENT_PYPROJECT}, AGENT_MESSAGE)


def gate(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["gate", "--repo", str(repo), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr
