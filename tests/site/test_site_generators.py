"""A site built without the perfloop plugin fails loudly: another generator (Zensical reads
mkdocs.yml but runs no MkDocs plugin) or a mkdocs.yml without it. The home page's notice
between `<!-- perfloop:summary -->` and `<!-- /perfloop:summary -->` shows, and its link
to the generated OKR tree fails a strict build; the plugin puts the summary in its place."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import run_cli

MKDOCS = Path(sys.executable).with_name("mkdocs")
NOTICE = "the perfloop plugin did not run"


def test_without_the_plugin_a_strict_build_fails_and_with_it_the_notice_is_gone(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "perf"
    assert run_cli("init", str(repo), "--no-git", cwd=tmp_path).returncode == 0
    config = (repo / "mkdocs.yml").read_text(encoding="utf-8")
    plain = repo / "plain.yml"  # what a generator that ignores the plugin builds
    plain.write_text(config[: config.index("plugins:")] + "plugins:\n  - search\n")
    without = subprocess.run(
        [str(MKDOCS), "build", "--strict", "-f", str(plain), "-d", str(tmp_path / "plain")],
        cwd=repo,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert without.returncode == 1, without.stderr
    assert "contains a link 'tree.md', but the target is not found" in without.stderr
    # not strict: it builds, and the home page says what is wrong
    loose = subprocess.run(
        [str(MKDOCS), "build", "-f", str(plain), "-d", str(tmp_path / "loose")],
        cwd=repo,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert loose.returncode == 0, loose.stderr
    assert NOTICE in (tmp_path / "loose" / "index.html").read_text(encoding="utf-8")
    # with the plugin: the summary in its place, no notice, no marker left
    built = run_cli("site", cwd=repo)
    assert built.returncode == 0, built.stderr
    home = (repo / "public" / "index.html").read_text(encoding="utf-8")
    assert NOTICE not in home and "perfloop:summary" not in home
    assert 'href="tree/"' in home  # the summary links the tree
