"""Where an editor finds a file's schema: the reference in its first line,
`# yaml-language-server: $schema=REF`, for the files the tool writes.

REF is, in this order:
1. a relative path to the package's schemas when the repository carries them
   (`tooling/perfloop/schemas/`, as this project's own example does): offline, and always
   the schemas of the code beside them;
2. `<site_url>/schemas/<kind>.schema.json` when mkdocs.yml sets `site_url`: the site
   publishes the bundled schemas there (the MkDocs plugin; schemas are public);
3. else a relative path to the same files in the built site folder (mkdocs.yml's
   `site_dir`, `public/` without a mkdocs.yml): they resolve once the site was built here.

Code that makes a file's text (pure) writes a new line with UNPLACED; `placed` turns it
into REF where the file is written. A line a file already has is kept, even the address
older versions wrote (https://perfloop.dev/schemas/, which nothing serves): a check-in's
diff is the check-in alone.
"""

from __future__ import annotations

import os
import posixpath
from functools import lru_cache
from pathlib import Path

SCHEMA_COMMENT = "# yaml-language-server: $schema="
UNPLACED = "perfloop:schemas/"  # never on disk
SCHEMAS = "schemas"  # the folder of the site the plugin writes them to
LOCAL = "tooling/perfloop/schemas"
DEFAULT_SITE_DIR = "public"  # perfloop init's mkdocs.yml


def schema_ref(root: Path, rel: str, kind: str) -> str:
    """The reference to `kind`'s schema for the file at `rel` (from the repository root)."""
    name = f"{kind}.schema.json"
    here = posixpath.dirname(rel)
    if (root / LOCAL / name).is_file():
        return posixpath.relpath(f"{LOCAL}/{name}", here or ".")
    site_url, site_dir = _site(root)
    if site_url:
        return f"{site_url.rstrip('/')}/{SCHEMAS}/{name}"
    return posixpath.relpath(f"{site_dir}/{SCHEMAS}/{name}", here or ".")


def placed(root: Path, rel: str, text: str) -> str:
    """`text` with an UNPLACED schema line made to point where this repository's editors
    find the schema (see the module's docstring); any other first line is kept."""
    start = SCHEMA_COMMENT + UNPLACED
    if not text.startswith(start):
        return text
    first, newline, rest = text.partition("\n")
    kind = first[len(start) :].removesuffix(".schema.json")
    if not kind.isidentifier():
        return text
    return f"{SCHEMA_COMMENT}{schema_ref(root, rel, kind)}{newline}{rest}"


@lru_cache(maxsize=16)
def _site(root: Path) -> tuple[str | None, str]:
    """mkdocs.yml's site_url (None unless an http(s) URL) and site_dir (POSIX, relative to
    the root). Tags MkDocs resolves (`!ENV`, `!!python/name:`) read as unset."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    path = root / "mkdocs.yml"
    try:
        if path.stat().st_size > 1024 * 1024:
            return None, DEFAULT_SITE_DIR
        config = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None, DEFAULT_SITE_DIR
    if not isinstance(config, dict):
        return None, DEFAULT_SITE_DIR
    url = config.get("site_url")
    url = url if isinstance(url, str) and url.startswith(("https://", "http://")) else None
    site_dir = config.get("site_dir")
    site_dir = site_dir if isinstance(site_dir, str) and site_dir else "site"  # MkDocs' default
    folder = Path(os.path.normpath(root / site_dir))
    try:
        site_dir = folder.relative_to(root).as_posix()
    except ValueError:  # outside the repository: no relative path reaches it
        site_dir = DEFAULT_SITE_DIR
    return url, site_dir
