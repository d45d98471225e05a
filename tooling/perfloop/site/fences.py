"""What a public build refuses before it writes anything: files from `cycles/` reaching the
site by any way but the plugin (which leaves out what is confidential, loading.py).

MkDocs copies every file under `docs_dir` (following symbolic links) and under the theme's
folders into the site, and include extensions read files from their base paths. So a
symbolic link under `site/`, a `docs_dir` or theme folder around `cycles/`, or an include
extension whose base path reaches `cycles/` would publish review text with one approval of
`mkdocs.yml` or `site/`. Each is refused, named, in every build (a restricted build must not
depend on such a setup either).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files

SNIPPETS = "pymdownx.snippets"


def around(path: Path, cycles: Path) -> bool:
    """Whether `path` (resolved) is `cycles`, inside it, or a folder holding it."""
    return path == cycles or cycles in path.parents or path in cycles.parents


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def config_problems(config: MkDocsConfig, root: Path, cycles: Path) -> list[str]:
    """Why this configuration could publish files from `cycles/` (empty when it cannot)."""
    problems = []
    docs = Path(config.docs_dir)
    if around(docs.resolve(), cycles):
        problems.append(f"docs_dir {_shown(docs, root)} reaches cycles/")
    for link in _links(docs):
        problems.append(
            f"{_shown(link, root)} is a symbolic link: the site's folder holds files, not "
            f"links (one could publish files from cycles/)"
        )
    for folder in config.theme.dirs:
        if around(Path(folder).resolve(), cycles):
            problems.append(f"the theme folder {_shown(Path(folder), root)} reaches cycles/")
    for name in config.markdown_extensions:
        if not isinstance(name, str):
            continue
        options = config.mdx_configs.get(name) or {}
        bases = options.get("base_path", ["."] if name == SNIPPETS else [])
        for base in [bases] if isinstance(bases, str) else bases or []:
            if isinstance(base, str) and around(Path(base).resolve(), cycles):
                problems.append(
                    f"markdown extension {name}: base_path {base!r} reaches cycles/ "
                    "(set it to a folder of its own, such as site/snippets)"
                )
        if name == SNIPPETS and options.get("restrict_base_path") is False:
            problems.append(f"markdown extension {name}: restrict_base_path: false is refused")
    return problems


def file_problems(files: Files, root: Path, cycles: Path) -> list[str]:
    """Source files MkDocs would copy or render that are under `cycles/`."""
    problems = []
    for file in files:
        if file.generated_by is not None or not file.abs_src_path:
            continue
        real = Path(os.path.realpath(file.abs_src_path))
        if real == cycles or cycles in real.parents:
            problems.append(f"{file.src_uri} is {_shown(real, root)}, a file under cycles/")
    return problems


def _links(folder: Path) -> Iterable[Path]:
    for here, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = Path(here) / name
            if path.is_symlink():
                yield path
