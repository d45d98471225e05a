"""A sealed demo company (SPEC section 7): every person and the org have an age key, the
cycle says `confidentiality: sealed`, and each confidential file is sealed to its audience
as soon as it is generated, so its plaintext is never written to disk or committed.

The plain content is the plain demo's of the same seed (keys come from the OS, not from the
seeded generator), so HR's scores equal the plain demo's. Sealing is not deterministic:
age encrypts to a fresh ephemeral key every time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..sealing.audience import is_confidential
from .generator import CYCLE_ID, MAX_PEOPLE, MIN_PEOPLE, ORG_KEY, PHASES, _Demo

PARALLEL_MIN = 500  # below this many files, forking workers costs more than it saves


@dataclass(frozen=True)
class SealedCompany:
    files: dict[str, str]  # path from the repository root -> text; sealed ones as <path>.age
    identities: dict[str, str]  # person id, and ORG_KEY -> the identity file's text
    sealed: int  # how many confidential files were sealed
    hr: str  # the first of HR's people, whose identity reads every sealed file


def generate_sealed(people: int, seed: int = 1, phase: str = "calibration") -> SealedCompany:
    """The files of a sealed demo company and every identity that reads them."""
    from ..sealing.files import recipients

    if not MIN_PEOPLE <= people <= MAX_PEOPLE:
        raise ValueError(f"people must be between {MIN_PEOPLE} and {MAX_PEOPLE}")
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {', '.join(PHASES)}")
    demo = _Demo(people, seed, phase, sealed=True)
    files = demo.build()
    prefix = f"cycles/{CYCLE_ID}/"
    confidential = [p for p in files if is_confidential(p[len(prefix) :])]
    if confidential:
        data = demo.data or demo.load()  # calibration loaded it already; review has not
        jobs = [(files[p], recipients(data, p[len(prefix) :])[1]) for p in confidential]
        for path, armored in zip(confidential, _seal_all(jobs), strict=True):
            del files[path]
            files[path + ".age"] = armored
    assert set(demo.identities) == {*demo.people, ORG_KEY}
    return SealedCompany(
        dict(sorted(files.items())), demo.identities, len(confidential), demo._hr()[0]
    )


_jobs: list[tuple[str, list[str]]] = []  # in a forked worker: every file to seal


def _seal_range(span: tuple[int, int]) -> list[str]:
    from ..sealing.age import seal

    return [seal(text.encode(), keys).decode("ascii") for text, keys in _jobs[span[0] : span[1]]]


def _seal_all(jobs: list[tuple[str, list[str]]]) -> list[str]:
    """Each (plaintext, keys) sealed in ASCII armor, by forked workers when there are many
    (an encryption per file and a key agreement per recipient: the bulk of a sealed demo's
    generation). Plaintext goes to the workers through the fork, never through a file."""
    global _jobs
    _jobs = jobs
    workers = min(os.cpu_count() or 1, 8)
    try:
        if workers < 2 or len(jobs) < PARALLEL_MIN:
            return _seal_range((0, len(jobs)))
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        size = max(1, -(-len(jobs) // (workers * 8)))
        spans = [(i, min(i + size, len(jobs))) for i in range(0, len(jobs), size)]
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            return [text for chunk in pool.map(_seal_range, spans) for text in chunk]
    finally:
        _jobs = []
