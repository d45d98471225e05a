"""The one door to a cycle's verdict: every command asks here, and only here is it decided
how the answer is reached.

A cycle's verdict (its load and rule problems, its scores, the model they came from) is a
pure function of the cycle's files and the tool's code; `validation.validate_cycle` computes
it from nothing. The machinery in `speed/` reaches the same answer sooner, in one of three
ways, and this module alone chooses among them:

- replay (`replay`): a read-only command's whole output, stored for the same arguments,
  files and code (`speed/memo.py`), printed before anything heavy is imported;
- derive: a stored verdict of a base revision (HEAD for `validate`, the pull request's
  base for `check`) with the few changed files examined and only the rules they can reach
  re-run (`speed/incremental.py`); commands that need the whole model recall it from
  HEAD's verdict instead, its clean files left undecoded until read (`speed/recall.py`);
- full load: load every file (`load_cycle`: examined files from the cache, new ones parsed
  in parallel: `speed/loading.py`), run every rule; the verdict is then stored for the next
  command (`speed/verdict.py`).

Each shortcut answers None when it cannot vouch for its answer, and the next is tried; the
full load always answers. The design is described in the guide (`site/guide/speed.md`).
"""

from __future__ import annotations

# Light at import time: `replay` runs before anything heavy is imported (dataclasses,
# pathlib and typing alone are a large part of a replay), so the rest is imported where used.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from pathlib import Path

    from .gitrepo import GitRepo
    from .model import CycleData
    from .problems import Problem
    from .repository import SealedReader
    from .sources import Source
    from .speed.verdict import Verdict
    from .validation import CycleResult


# The caller's identity (sealing/reader.py), set by a reading command's `--identity`:
# sealed files it opens join the model. None: every sealed file is "not readable".
_reader: SealedReader | None = None


def read_as(reader: SealedReader | None) -> None:
    """Open sealed files with `reader` in what this process loads from now on."""
    global _reader
    _reader = reader


def sealed_cycle(root: Path, cycle_id: str) -> bool:
    """Whether cycle.yaml says `confidentiality: sealed`: such a cycle is loaded in full
    when read with an identity (the shortcuts know nothing of what it opens, and what they
    store was computed without one), and for every command but a keyless PR check."""
    from .loader import load_file
    from .root import CYCLES

    doc, _ = load_file(root / CYCLES / cycle_id / "cycle.yaml", f"{CYCLES}/{cycle_id}/cycle.yaml")
    return (
        doc is not None
        and isinstance(doc.data, dict)
        and (doc.data.get("confidentiality") == "sealed")
    )


def replay(argv: list[str], run: Callable[[], None]) -> None:
    """Run the command line `argv` with `run`, or print its stored output when the same
    arguments, files and code produced it before (a read-only command only)."""
    from .speed import memo

    if memo.memoizable(argv):
        memo.run(argv, run)
    else:
        run()


class Base:
    """A pull request's base: the revision, and the status of each changed path in the
    cycle (git's letter), as `perfloop check` found them."""

    __slots__ = ("repo", "rev", "statuses")

    def __init__(self, repo: GitRepo, rev: str, statuses: Mapping[str, str]):
        self.repo, self.rev, self.statuses = repo, rev, statuses


def verdict(
    root: Path, cycle_id: str, *, whole_model: bool = False, base: Base | None = None
) -> CycleResult:
    """The working tree's cycle, checked.

    `base` (a pull request's check): derived from the base's stored verdict, else in full.
    `whole_model` (reports, writes: they read every person): recalled from HEAD's stored
    verdict, else in full. Otherwise (`validate`): derived from HEAD's stored verdict, else
    in full, and then HEAD's file listing is kept for the next pull request's check.
    A sealed cycle takes only the first shortcut, and only keyless: with an identity it is
    checked in full, since nothing opened may be stored nor answered from a keyless store."""
    from .speed import incremental

    sealed = sealed_cycle(root, cycle_id)
    if sealed and _reader is not None:
        # nothing opened may be stored, nor answered from what a keyless run stored
        return full(root, cycle_id)
    if base is not None:  # keyless, a sealed cycle's too: sealed files are content by blob id
        derived = incremental.check(root, cycle_id, base.repo, base.rev, base.statuses)
        return derived if derived is not None else full(root, cycle_id)
    if whole_model:
        return (None if sealed else _recalled(root, cycle_id)) or full(root, cycle_id)
    derived = None if sealed else incremental.against_head(root, cycle_id)
    if derived is not None:
        return derived
    result = full(root, cycle_id)
    from .speed import listings

    listings.note_head(root, cycle_id)  # what the next pull request's check starts from
    return result


def load_cycle(
    root: Path,
    cycle_id: str,
    source: Source | None = None,
    use_cache: bool | None = None,
    left_out: frozenset[str] = frozenset(),
    keyless: bool = False,
) -> tuple[CycleData | None, list[Problem]]:
    """`repository.load_cycle` with the examined files from the cache (unless `use_cache`
    is False or the cache is off) and new ones parsed in parallel when there are many.
    Sealed files are opened with the caller's identity (`read_as`), unless `keyless` (the
    public site); an opened one is examined apart, never through the cache."""
    from .repository import load_cycle as load
    from .speed.loading import cached, open_sealed

    reader = None if keyless else _reader
    data, problems = load(root, cycle_id, source, left_out, cached(use_cache), reader, open_sealed)
    if data is not None and data.opened:  # this run's output is not stored either
        from .sealing.reader import mark_opened

        mark_opened()
    return data, problems


def load_revision(
    repo: GitRepo, rev: str, cycle_id: str, only: Iterable[str] | None = None
) -> tuple[CycleData | None, list[Problem]]:
    """Cycle `cycle_id` as it is at git revision `rev` (`GitRepo.cycle_source`); its files
    named by blob id, so what the cache holds is not parsed again."""
    return load_cycle(repo.root, cycle_id, source=repo.cycle_source(rev, cycle_id, only))


def full(root: Path, cycle_id: str) -> CycleResult:
    """Load every file of the cycle and check it; the verdict is stored (or reused when
    one is stored for the same content)."""
    from .problems import sort_problems
    from .validation import CycleResult

    data, problems = load_cycle(root, cycle_id)
    if data is not None:
        problems = problems + rules(root, data, problems)
    return CycleResult(cycle_id, data, sort_problems(problems))


def _recalled(root: Path, cycle_id: str) -> CycleResult | None:
    from .problems import sort_problems
    from .speed.recall import recall_cycle
    from .validation import CycleResult

    recalled = recall_cycle(root, cycle_id)
    if recalled is None:
        return None
    data, load, found = recalled
    problems = load + rules(root, data, load, found)
    return CycleResult(cycle_id, data, sort_problems(problems))


def rules(
    root: Path,
    data: CycleData,
    load: list[Problem] | None = None,
    found: Verdict | None = None,
) -> list[Problem]:
    """Every rule's problems for the loaded `data`, its scores adopted along the way.
    Answered from the verdict of the same content and code when one is stored: `validate`,
    `score` and `calibrate` in a row check the cycle once; otherwise checked, and stored.

    `load` (the problems loading `data` found) is kept with the verdict when given: with
    it, a later check can derive from this verdict. `found`: the verdict of `data`, when
    the caller has read it already."""
    from dataclasses import replace
    from functools import partial

    from .alignment import links
    from .heap import bulk_allocation
    from .rules import check_cycle
    from .scoring import adopt_scores, computed_scores, score_cycle, score_person
    from .speed import verdict as stored

    if data.opened:  # plaintext of a sealed file: nothing derived from it is stored
        from .repository import withheld

        with bulk_allocation():
            return [withheld(p) for p in check_cycle(data)]
    examined = _examined_problems(data, load)
    with bulk_allocation():  # the rules' indexes and the scores live as long as the model
        if found is None:
            found = stored.lookup(root, data.dir, data.content)
        if found is not None:
            scores = found.scores
            if isinstance(scores, stored.Scores):  # a damaged entry is scored afresh
                scores = scores.rescoring(partial(score_person, data))
            if scores is not None:
                adopt_scores(data, scores)
            if examined is not None and (found.load is None or found.links is None):
                kept = replace(found, load=examined, links=links(data))
                stored.store(root, data.dir, data.content, kept)
            return list(found.problems)
        problems = check_cycle(data)
        if data.cycle.sealed and computed_scores(data) is None:
            # No calibration file was readable, so no rule scored: a pull request's check
            # derives from every person's score (and shows how goals moved), so keep them
            # as a plain cycle's verdict does. Keyless: only plain files' numbers.
            score_cycle(data)
    kept = stored.Verdict(problems, computed_scores(data), links(data), examined)
    stored.store(root, data.dir, data.content, kept)
    return problems


def _examined_problems(data: CycleData, load: list[Problem] | None) -> list[Problem] | None:
    """The load problems that belong to examined files: those follow from the content's
    digest; others (a stray file, a symbolic link) are not part of it, so not kept."""
    if load is None or data.examined is None:
        return None
    return [p for p in load if p.path in data.examined]
