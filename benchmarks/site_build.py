"""How long the example site takes to build, per audience and with/without git history.

Run from the repository root: `python benchmarks/site_build.py`. Prints seconds and pages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(args: list[str], cwd: Path) -> float:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "example"  # no .git: the timeline comes from the files alone
        plain.mkdir()
        for item in ("cycles", "site", "mkdocs.yml"):
            copy = shutil.copytree if (ROOT / item).is_dir() else shutil.copy
            copy(ROOT / item, plain / item)
        # the same site with the plugin's page worker off (`parallel: false`)
        serial = plain / "mkdocs-serial.yml"
        serial.write_text(
            (plain / "mkdocs.yml")
            .read_text()
            .replace("  - perfloop:\n", "  - perfloop:\n      parallel: false\n")
        )
        runs = [
            ("public, git history (this checkout)", ROOT, ["mkdocs", "build", "--strict"]),
            ("public, no git", plain, ["mkdocs", "build", "--strict"]),
            (
                "public, no git, no worker",
                plain,
                ["mkdocs", "build", "--strict", "-f", serial.name],
            ),
            ("hr, no git", plain, ["perfloop", "site", "--audience", "hr"]),
        ]
        for label, cwd, args in runs:
            seconds = timed([sys.executable, "-m", *args], cwd)
            out = cwd / ("public" if "hr" not in args else "build/site-hr")
            pages = sum(1 for _ in out.rglob("index.html"))
            print(f"{label:40} {seconds:6.1f} s  {pages} pages")


if __name__ == "__main__":
    main()
