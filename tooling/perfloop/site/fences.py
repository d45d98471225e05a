"""What a public build refuses before it writes anything: files from `cycles/` reaching the
site by any way but the plugin (which leaves out what is confidential, loading.py).

MkDocs copies every file under `docs_dir` (following symbolic links) and under the theme's
folders into the site, and include extensions read files from their base paths. So a
symbolic link under `site/`, a `docs_dir` or theme folder around `cycles/`, or an include
extension whose base path reaches `cycles/` would publish review text with one approval of
`mkdocs.yml` or `site/`. Each is refused, named, in every build (a restricted build must not
depend on such a setup either).

All of that runs inside the plugin, and mkdocs.yml can leave the plugin out or switch it off
(`enabled: false`, which MkDocs accepts for any plugin). So `perfloop site` (how the public
site is published) and `perfloop check` (a pull request changing mkdocs.yml) load the
configuration as MkDocs will (`site_problems`) and refuse it without the plugin running on
the repository's own `cycles/`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from markdown.util import parseBoolValue
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files

SNIPPETS = "pymdownx.snippets"
PLUGIN = "perfloop"


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
        # `pymdownx.snippets:SnippetExtension` is the same extension, by its class
        snippets = name.split(":")[0] == SNIPPETS
        bases = options.get("base_path", ["."] if snippets else [])
        for base in [bases] if isinstance(bases, str) else bases or []:
            if isinstance(base, str) and around(Path(base).resolve(), cycles):
                problems.append(
                    f"markdown extension {name}: base_path {base!r} reaches cycles/ "
                    "(set it to a folder of its own, such as site/snippets)"
                )
        restrict = options.get("restrict_base_path", True)
        # Python-Markdown reads a boolean option with parseBoolValue: "no", 0, "off" are false
        if (
            snippets
            and parseBoolValue(restrict, fail_on_errors=False, preserve_none=True) is not True
        ):
            problems.append(f"markdown extension {name}: restrict_base_path: false is refused")
    return problems


def site_problems(config_file: Path, root: Path, text: bytes | None = None) -> list[str]:
    """Why building the site from `config_file` (or `text`, that file's new content) could
    publish files from `root`'s cycles/: the configuration as MkDocs loads it (with INHERIT,
    !ENV and plugin options applied), without the perfloop plugin enabled on `root`'s
    cycles/, or reaching cycles/ another way (config_problems). Empty when it cannot."""
    import io
    import logging

    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    root = root.resolve()
    cycles = root / "cycles"
    outside = _inherits_outside(Path(config_file), root, text) if text is not None else None
    if outside is not None:  # its text would reach the messages (a parse error's snippet)
        return [f"INHERIT: {outside} is not a file of the repository"]
    source = io.BytesIO(text) if text is not None else str(config_file)
    said: list[str] = []  # MkDocs logs why a configuration is invalid, then aborts
    heard = logging.Handler(logging.ERROR)
    heard.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("mkdocs")
    propagate, logger.propagate = logger.propagate, False
    logger.addHandler(heard)
    # A pull request's mkdocs.yml (`text`) is read with no environment: `!ENV` could put a
    # secret of the job (the gate's app token) into a message; its defaults apply instead.
    environment = dict(os.environ) if text is not None else None
    if environment is not None:
        os.environ.clear()
    try:
        # hooks: [] — MkDocs imports hook files while loading: a pull request's mkdocs.yml
        # must not run its code in the check (the gate holds the app's key); no refusal
        # here depends on them
        config = load_config(source, config_file_path=str(config_file), hooks=[])
    except (Abort, ConfigurationError, OSError, ValueError) as exc:
        why = "; ".join(said) or str(exc).strip() or type(exc).__name__
        return [f"MkDocs cannot load it: {why}"]
    finally:
        if environment is not None:
            os.environ.update(environment)
        logger.removeHandler(heard)
        logger.propagate = propagate
    problems = []
    plugin = config.plugins.get(PLUGIN)
    if plugin is None:
        problems.append(
            f"the {PLUGIN} plugin is missing or disabled (enabled: false): without it "
            "nothing keeps reviews, calibration and results off the public site"
        )
    else:
        configured = (Path(config_file).resolve().parent / plugin.config.cycles_dir).resolve()
        if configured != cycles:
            problems.append(
                f"the {PLUGIN} plugin's cycles_dir must be the repository's cycles/ (the "
                "files it keeps off the site)"
            )
    return problems + config_problems(config, root, cycles)


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


_INHERIT = re.compile(r"^INHERIT\s*:\s*['\"]?([^'\"#\n]*?)['\"]?\s*(?:#.*)?$", re.M)


def _inherits_outside(config_file: Path, root: Path, text: bytes) -> str | None:
    """The first file an mkdocs.yml's INHERIT chain names outside `root` (or that is no
    regular file in it), or None."""
    seen: set[Path] = set()
    here, content = config_file, text.decode("utf-8", errors="replace")
    while True:
        found = _INHERIT.search(content)
        if found is None:
            return None
        parent = (here.parent / found.group(1).strip()).resolve()
        inside = root in parent.parents and parent.is_file() and not os.path.islink(parent)
        if not inside:
            return found.group(1).strip()
        if parent in seen:
            return None  # a loop: MkDocs reports it
        seen.add(parent)
        here, content = parent, parent.read_text(encoding="utf-8", errors="replace")


def changed_config_errors(root: Path, text: bytes) -> list:
    """`perfloop check` on a pull request changing mkdocs.yml to `text`: site_problems as
    errors located on mkdocs.yml (the public build would refuse it after the merge)."""
    from ..problems import error

    return [
        error("mkdocs.yml", 1, 1, f"{problem}; the public site build refuses it")
        for problem in site_problems(root / "mkdocs.yml", root, text)
    ]
