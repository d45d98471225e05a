"""The caller's identity at the load edge: which key reads, and the one switch that keeps
plaintext off disk.

A command's `--identity` (else `PERFLOOP_IDENTITY`, else `~/.ssh/id_ed25519`) becomes a
`Reader`, which `repository.load_cycle` asks to open each sealed file. `opened()` says
whether this process opened any: then no output, verdict or parsed file derived from it
may be stored in the cache (the engine and `speed/memo.py` ask it).
"""

from __future__ import annotations

from pathlib import Path

from . import age

_opened = False


def opened() -> bool:
    """Whether a sealed file was opened in this process (its plaintext is in memory)."""
    return _opened


def mark_opened() -> None:
    global _opened
    _opened = True


class Reader:
    """Opens sealed files with the caller's keys (`repository.SealedReader`)."""

    def __init__(self, identities: age.Identities):
        self.identities = identities
        self.source = identities.source
        publics = set()
        for key in identities.keys:
            to_public = getattr(key, "to_public", None)  # x25519; SSH identities do not say
            if to_public is not None:
                publics.add(str(to_public()))
        self.publics = frozenset(publics)

    def open(self, sealed: bytes) -> bytes | None:
        try:
            plaintext = self.identities.open(sealed)
        except age.SealError as exc:
            raise ValueError(str(exc)) from None
        if plaintext is not None:
            mark_opened()
        return plaintext


class IdentityError(Exception):
    """An identity given explicitly that cannot be used (a usage error: exit 2)."""


def reader_for(option: str | None, env: str = "PERFLOOP_IDENTITY") -> Reader | None:
    """The caller's reader: `option`, else the `env` variable, else `~/.ssh/id_ed25519`
    when it exists. A given identity that cannot be read raises IdentityError naming the
    file; the default one that cannot (a passphrase, an ECDSA key) reads nothing."""
    import os

    explicit = bool(option or os.environ.get(env))
    path = Path(option or os.environ[env]).expanduser() if explicit else age.identity_path(None)
    if path is None:
        return None
    try:
        return Reader(age.load_identities(path))
    except age.SealError as exc:
        if explicit:
            raise IdentityError(f"identity {path}: {_reason(exc, path)}") from None
        return None


def _reason(exc: age.SealError, path: Path) -> str:
    text = str(exc)
    prefix = f"{path}: "
    return text[len(prefix) :] if text.startswith(prefix) else text


ORG_IDENTITY = "PERFLOOP_ORG_IDENTITY"


def org_reader() -> Reader | None:
    """The trusted gate's reader: the org identity's text (`AGE-SECRET-KEY-1…` lines, as
    `perfloop init` writes the org key file and a GitHub secret holds it) in the
    PERFLOOP_ORG_IDENTITY variable; None when unset. Text, not a path: a secret is text,
    and no key file need be written on the runner. A value that holds no identity is an
    IdentityError that never repeats the value."""
    import os

    from pyrage import IdentityError as PyrageError
    from pyrage import x25519

    text = os.environ.get(ORG_IDENTITY, "")
    if not text.strip():
        return None
    try:
        keys = tuple(
            x25519.Identity.from_str(line.strip())
            for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        )
    except (PyrageError, ValueError):
        keys = ()
    if not keys:
        raise IdentityError(
            f"{ORG_IDENTITY} holds no age identity (expected the text of the org key file, "
            "AGE-SECRET-KEY-1… lines)"
        )
    return Reader(age.Identities(ORG_IDENTITY, keys))
