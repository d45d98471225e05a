"""The cache and the parallel parser give exactly the results of a plain, uncached run."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from conftest import DATA, ROOT, commit_all, run_cli
from perfloop import engine
from perfloop.root import cache_folder
from perfloop.speed import loading


def cache(root: Path) -> Path:
    """The cache folder of the repository at `root`."""
    return Path(cache_folder(root))


def _formatted(root: Path, cycle: str) -> list[str]:
    return [p.format() for p in engine.full(root, cycle).problems]


@pytest.fixture
def messy_repo(tmp_path: Path) -> Path:
    """The example with a few broken files, so that problems must be located."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "cycles", repo / "cycles")
    goals = sorted((repo / "cycles/2026-h2/goals").glob("*.yaml"))
    for case in ("unknown-field", "bad-date", "weights-sum"):
        for file in (DATA / "invalid" / case / "cycles/2026-h2/goals").glob("*.yaml"):
            target = goals.pop()  # put the broken content under another person's name
            text = file.read_text().replace(f"owner: {file.stem}", f"owner: {target.stem}")
            target.write_text(text)
    return repo


def test_cached_and_uncached_runs_agree(messy_repo: Path, monkeypatch) -> None:
    monkeypatch.setenv("PERFLOOP_CACHE", "0")
    plain = _formatted(messy_repo, "2026-h2")
    assert any(" error: " in line for line in plain)
    monkeypatch.setenv("PERFLOOP_CACHE", "1")
    first = _formatted(messy_repo, "2026-h2")  # fills the cache
    assert list(cache(messy_repo).rglob("2026-h2.pack"))
    second = _formatted(messy_repo, "2026-h2")  # served from it, positions recomputed
    assert plain == first == second


def test_parallel_parsing_agrees(messy_repo: Path, monkeypatch) -> None:
    monkeypatch.setenv("PERFLOOP_CACHE", "0")
    plain = _formatted(messy_repo, "2026-h2")
    monkeypatch.setattr(loading, "PARALLEL_MIN", 1)
    assert _formatted(messy_repo, "2026-h2") == plain


def test_a_changed_file_is_examined_again(base_repo: Path) -> None:
    assert run_cli("validate", cwd=base_repo).returncode == 0
    goals = base_repo / "cycles/2026-h2/goals/bob.yaml"
    goals.write_text(goals.read_text().replace("title: Observability", "titel: Observability"))
    result = run_cli("validate", cwd=base_repo)
    assert result.returncode == 1
    assert "unknown field 'titel'" in result.stdout


def test_symlinks_are_refused(base_repo: Path) -> None:
    (base_repo / "cycles/2026-h2/goals/carol.yaml").symlink_to("/etc/hostname")
    result = run_cli("validate", cwd=base_repo)
    assert result.returncode == 1
    assert "goals/carol.yaml:1:1: error: symbolic links are not allowed" in result.stdout


def test_a_replayed_run_equals_a_fresh_one(base_repo: Path) -> None:
    import os
    import time

    goals = base_repo / "cycles/2026-h2/goals/bob.yaml"
    goals.write_text(goals.read_text().replace("title: Observability", "titel: Observability"))
    old = time.time() - 60  # older than the racy window, so the stat index is trusted
    for file in base_repo.rglob("*.yaml"):
        os.utime(file, (old, old))
    fresh = run_cli("validate", cwd=base_repo, env={"PERFLOOP_CACHE": "0"})
    first = run_cli("validate", cwd=base_repo)
    runs = cache(base_repo) / "runs"
    assert len(list(runs.iterdir())) == 1
    replay = run_cli("validate", cwd=base_repo)
    assert len(list(runs.iterdir())) == 1  # answered from the stored run
    assert (fresh.returncode, fresh.stdout) == (first.returncode, first.stdout)
    assert (replay.returncode, replay.stdout, replay.stderr) == (
        first.returncode,
        first.stdout,
        first.stderr,
    )
    # any change is a new key: fix the file and the replay is not used
    goals.write_text(goals.read_text().replace("titel: Observability", "title: Observability"))
    assert run_cli("validate", cwd=base_repo).returncode == 0


def _replayed(root: Path, *args: str) -> tuple[bool, str]:
    """(whether `perfloop ARGS` was answered from a stored run, its output)."""
    runs = cache(root) / "runs"
    before = set(runs.iterdir()) if runs.is_dir() else set()
    result = run_cli(*args, cwd=root)
    return set(runs.iterdir()) == before, result.stdout


def test_in_a_git_repository_a_replay_follows_what_git_sees(base_repo: Path) -> None:
    """The replay key comes from `git status` there: a tracked, an untracked and an
    ignored change are each a new key, and a rewrite that keeps a file's size and mtime
    (which the stat walk cannot tell) too."""
    import os

    from perfloop.speed import memo

    (base_repo / ".gitignore").write_text(".perfloop-cache/\ncycles/*/goals/zed.yaml\n")
    commit_all(base_repo, "base")
    assert memo.git_content_key(base_repo) is not None
    assert run_cli("validate", cwd=base_repo).returncode == 0
    assert _replayed(base_repo, "validate")[0]

    goals = base_repo / "cycles/2026-h2/goals/bob.yaml"
    text, stat = goals.read_text(), goals.stat()
    # git compares ctimes in whole seconds (Debian's git is built without USE_NSEC), as
    # `git status` itself does: the rewrite must fall in a later second than the write git
    # recorded, or git (and so the key) cannot tell it either
    time.sleep(1.01 - time.time() % 1)
    goals.write_text(text.replace("title: Observability", "titel: Observability"))
    os.utime(goals, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime
    replayed, out = _replayed(base_repo, "validate")
    assert not replayed and "titel" in out
    goals.write_text(text)

    untracked = base_repo / "cycles/2026-h2/goals/yan.yaml"
    untracked.write_text("owner: yan\n")
    replayed, out = _replayed(base_repo, "validate")
    assert not replayed and "goals/yan.yaml" in out
    untracked.unlink()

    ignored = base_repo / "cycles/2026-h2/goals/zed.yaml"  # git ignores it; the loader not
    ignored.write_text("owner: zed\n")
    replayed, out = _replayed(base_repo, "validate")
    assert not replayed and "goals/zed.yaml" in out


def test_outside_git_a_rewrite_that_keeps_size_and_mtime_is_seen(base_repo: Path) -> None:
    """The stat index records ctime too, which no one can set back."""
    import os
    import time

    old = time.time() - 60
    for file in base_repo.rglob("*.yaml"):
        os.utime(file, (old, old))
    assert run_cli("validate", cwd=base_repo).returncode == 0
    goals = base_repo / "cycles/2026-h2/goals/bob.yaml"
    text, stat = goals.read_text(), goals.stat()
    # git compares ctimes in whole seconds (Debian's git is built without USE_NSEC), as
    # `git status` itself does: the rewrite must fall in a later second than the write git
    # recorded, or git (and so the key) cannot tell it either
    time.sleep(1.01 - time.time() % 1)
    goals.write_text(text.replace("title: Observability", "titel: Observability"))
    os.utime(goals, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert "titel" in run_cli("validate", cwd=base_repo).stdout


def test_a_file_git_is_told_not_to_look_at_is_walked(base_repo: Path) -> None:
    import git

    from perfloop.speed import memo

    commit_all(base_repo, "base")
    goals = "cycles/2026-h2/goals/bob.yaml"
    git.Repo(base_repo).git.update_index("--assume-unchanged", goals)
    assert memo.git_content_key(base_repo) is None
    assert run_cli("validate", cwd=base_repo).returncode == 0
    path = base_repo / goals
    path.write_text(path.read_text().replace("title: Observability", "titel: Observability"))
    assert "titel" in run_cli("validate", cwd=base_repo).stdout


def test_a_pr_check_reads_the_base_from_the_cache_and_keeps_it_whole(
    base_repo: Path, monkeypatch
) -> None:
    """CI restores main's cache, then checks the PR: the base revision's files are found by
    blob id (not parsed again), and the check's partial read of the base must not prune the
    entries the next full run needs."""
    import git

    from perfloop import pullcheck
    from perfloop.speed.cache import Pack, read_pack

    repo = git.Repo.init(base_repo, initial_branch="main")
    repo.git.add("-A")
    repo.git.commit("-m", "base", "--author", "Henry Park <henry@example.com>")
    assert run_cli("validate", cwd=base_repo).returncode == 0  # main's cache
    (pack_file,) = cache(base_repo).rglob("2026-h2.pack")
    before = set(read_pack(pack_file))
    goals = base_repo / "cycles/2026-h2/goals/bob.yaml"
    goals.write_text(goals.read_text().replace("title: Observability", "title: Tracing"))
    repo.git.commit("-am", "retitle", "--author", "Bob <bob@example.com>")

    parsed: list[str] = []
    real = loading.examine

    def counting(raw: bytes, path: str, kind: str):
        parsed.append(path)
        return real(raw, path, kind)

    monkeypatch.setattr(loading, "examine", counting)
    Pack._open.clear()  # a fresh process
    result = pullcheck.run_check(base_repo, "HEAD~1", "bobli", validate=True)
    assert [c.path for c in result.changes] == ["cycles/2026-h2/goals/bob.yaml"]
    assert parsed == ["cycles/2026-h2/goals/bob.yaml"]  # only the changed file is parsed
    after = set(read_pack(pack_file))
    assert before - after == set()


def test_a_build_hands_its_frozen_objects_back(example_repo: Path) -> None:
    """Loading freezes the model out of the collector's sight; a host that outlives the run
    (`mkdocs serve` rebuilds in one process) must not keep every build's garbage."""
    import gc

    from perfloop.site.plugin import PerfloopPlugin

    gc.unfreeze()
    engine.load_cycle(example_repo, "2026-h2")
    assert gc.get_freeze_count() > 0
    PerfloopPlugin().on_post_build(None)  # the end of every build, also under `mkdocs serve`
    assert gc.get_freeze_count() == 0


def _verdicts(repo: Path) -> list[Path]:
    return sorted(cache(repo).glob("*/verdicts/*"))


def _drop_runs(repo: Path) -> None:
    shutil.rmtree(cache(repo) / "runs", ignore_errors=True)


def test_commands_share_one_verdict_that_equals_a_fresh_computation(
    plain_example_repo: Path,
) -> None:
    """`validate` checks the cycle once; `score` and `calibrate` in new processes take its
    verdict (rule problems and scores) and print exactly what an uncached run prints.
    The example as a plain company: a sealed cycle is always loaded in full."""
    import marshal

    from perfloop.speed.store import read, write

    commands = [
        ("score", "--json"),
        ("score",),  # the table, printed from the stored scores' own fields
        ("score", "--person", "alice", "--json"),
        ("score", "--person", "alice"),  # the breakdown: nested records built
        ("calibrate", "--json"),
    ]
    fresh = {c: run_cli(*c, cwd=plain_example_repo, env={"PERFLOOP_CACHE": "0"}) for c in commands}
    assert not _verdicts(plain_example_repo)
    assert run_cli("validate", cwd=plain_example_repo).returncode == 0
    stored = _verdicts(plain_example_repo)
    assert len(stored) == 2  # one per cycle
    for command, expected in fresh.items():
        _drop_runs(plain_example_repo)  # no replayed output: the command runs, from the verdict
        again = run_cli(*command, cwd=plain_example_repo)
        assert (again.returncode, again.stdout) == (expected.returncode, expected.stdout)
        assert "alice" in again.stdout or '"groups"' in again.stdout
    assert _verdicts(plain_example_repo) == stored  # the same content: no new verdict

    # a stored score that no longer decodes is computed afresh, never printed wrong
    damaged = 0
    for file in stored:
        kept = read(file)
        if "alice" in (kept.get("scores") or {}):
            kept["scores"]["alice"] = kept["scores"]["alice"][:-5]
            write(file, kept)  # sealed: damaged before it was stored
            damaged += 1
    assert damaged
    for command in (("score",), ("score", "--json")):
        _drop_runs(plain_example_repo)
        again = run_cli(*command, cwd=plain_example_repo)
        assert (again.returncode, again.stdout) == (0, fresh[command].stdout)

    # own fields intact, nested records damaged (all of them, or one kind: each kind is
    # decoded apart): the summary still reads, what needs the damaged records (the
    # breakdown, the leniency report) is computed afresh
    def one_kind(nested: bytes) -> bytes:
        parts = marshal.loads(nested)
        parts["review_groups"] = parts["review_groups"][:-5]
        return marshal.dumps(parts)

    for damage in (lambda nested: nested[:-5], one_kind):
        for file in _verdicts(plain_example_repo):
            file.unlink()
        _drop_runs(plain_example_repo)
        assert run_cli("validate", cwd=plain_example_repo).returncode == 0
        for file in _verdicts(plain_example_repo):
            kept = read(file)
            if "alice" in (kept.get("scores") or {}):
                own, nested = marshal.loads(kept["scores"]["alice"])
                kept["scores"]["alice"] = marshal.dumps((own, damage(nested)))
                write(file, kept)  # sealed: damaged before it was stored
        for command in commands:
            _drop_runs(plain_example_repo)
            again = run_cli(*command, cwd=plain_example_repo)
            assert (again.returncode, again.stdout) == (
                fresh[command].returncode,
                fresh[command].stdout,
            )


def test_a_changed_review_is_a_new_verdict(plain_example_repo: Path) -> None:
    assert run_cli("score", "--json", cwd=plain_example_repo).returncode == 0
    review = sorted((plain_example_repo / "cycles/2026-h2/reviews/alice").glob("*.yaml"))[0]
    text = review.read_text()
    for rating in ("4", "5"):
        text = text.replace(f": {rating}\n", ": 1\n")
    review.write_text(text)
    cached = run_cli("score", "--json", cwd=plain_example_repo)
    fresh = run_cli("score", "--json", cwd=plain_example_repo, env={"PERFLOOP_CACHE": "0"})
    assert cached.stdout == fresh.stdout
    assert len(_verdicts(plain_example_repo)) == 2


def test_a_malformed_verdict_is_computed_again(messy_repo: Path, monkeypatch) -> None:
    """A verdict file that is not what this tool wrote (truncated, or of another shape)
    never decides anything: the cycle is checked afresh."""
    from perfloop.speed.store import read, write

    monkeypatch.setenv("PERFLOOP_CACHE", "0")
    plain = _formatted(messy_repo, "2026-h2")
    monkeypatch.setenv("PERFLOOP_CACHE", "1")
    assert _formatted(messy_repo, "2026-h2") == plain
    (stored,) = _verdicts(messy_repo)
    content = read(stored)["content"]
    stored.write_bytes(b"\x00garbage")
    assert _formatted(messy_repo, "2026-h2") == plain
    write(stored, {"content": content, "problems": [("x",)]})  # sealed, of another shape
    assert _formatted(messy_repo, "2026-h2") == plain


def test_goal_and_review_records_are_built_on_first_use(plain_example_repo: Path) -> None:
    """A command answered from a verdict reads a few records of 70,000 at 10,000 people."""
    data, _ = engine.load_cycle(plain_example_repo, "2026-h2")
    assert data is not None
    owner = next(iter(data.goals))
    assert owner in data.goals and "nobody" not in data.goals
    assert "built" in repr(data.goals) and "0 built" in repr(data.goals)
    assert data.goals[owner] is data.goals[owner]  # built once
    assert data.goals[owner].owner == owner
    with pytest.raises(KeyError):
        data.goals["nobody"]
    assert data.goals.get("nobody") is None
    # iteration follows the files, not the order records happened to be asked for
    last = list(data.reviews)[-1]
    assert data.reviews.get(last).subject == last[0]
    assert [k for k, _ in data.reviews.items()] == list(data.reviews)
    assert [r.owner for r in data.goals.values()] == list(data.goals)


def test_an_edit_adds_a_delta_and_leaves_the_big_pack_alone(base_repo: Path) -> None:
    """At 10,000 people the pack is ~34 MB: one edited file must not rewrite it."""
    from perfloop.sources import blob_id
    from perfloop.speed.cache import Pack

    assert run_cli("validate", cwd=base_repo).returncode == 0
    (pack_file,) = cache(base_repo).rglob("2026-h2.pack")
    packed = pack_file.read_bytes()
    goals = base_repo / "cycles/2026-h2/goals/bob.yaml"
    goals.write_text(goals.read_text().replace("title: Observability", "titel: Observability"))
    cached = run_cli("validate", cwd=base_repo)
    fresh = run_cli("validate", cwd=base_repo, env={"PERFLOOP_CACHE": "0"})
    assert (cached.returncode, cached.stdout) == (fresh.returncode, fresh.stdout) != (0, "")
    assert pack_file.read_bytes() == packed
    assert pack_file.with_suffix(".delta").exists()
    pack = Pack(base_repo, "2026-h2")  # a new process sees pack and delta as one
    assert pack.get("goals", blob_id(goals.read_bytes())) is not None


def test_a_growing_delta_is_merged_and_old_tools_folders_are_retired(tmp_path: Path) -> None:
    import os

    from perfloop.speed.cache import Pack, read_pack
    from perfloop.speed.store import fingerprint, read

    for age, name in enumerate(("a" * 16, "b" * 16, "c" * 16)):  # older tools' folders
        old = cache(tmp_path) / name
        old.mkdir(parents=True)
        os.utime(old, (1_000_000 + age, 1_000_000 + age))
    pack = Pack(tmp_path, "c1")
    for i in range(100):
        pack.put("goals", f"{i:040x}", ({"i": i}, []))
    pack.save(prune=False)
    assert pack.file.exists() and not pack.delta_file.exists()  # the first write is a pack
    survivors = sorted(p.name for p in cache(tmp_path).iterdir() if p.is_dir())
    assert survivors == sorted([fingerprint(), "c" * 16])  # the newest older one is kept
    for i in range(100, 105):
        pack.put("goals", f"{i:040x}", ({"i": i}, []))
    pack.save(prune=False)
    assert len(read_pack(pack.file)) == 100 and len(read(pack.delta_file)) == 5
    for i in range(105, 200):
        pack.put("goals", f"{i:040x}", ({"i": i}, []))
    pack.save(prune=False)
    assert len(read_pack(pack.file)) == 200 and not pack.delta_file.exists()
    fresh = Pack(tmp_path, "c1")
    used = [fresh.get("goals", f"{i:040x}") for i in range(120)]
    assert all(used)
    fresh.save(prune=True)  # 80 of 200 unused: more than a quarter, so dropped
    assert len(read_pack(fresh.file)) == 120


def test_a_damaged_cache_entry_is_read_from_the_file(base_repo: Path) -> None:
    """An entry whose data no longer decodes (a damaged cache) never breaks a run: the
    file itself is read again."""
    from perfloop.sources import blob_id
    from perfloop.speed.cache import read_pack, write_pack

    assert run_cli("validate", cwd=base_repo).returncode == 0
    (pack_file,) = cache(base_repo).rglob("2026-h2.pack")
    goals = base_repo / "cycles/2026-h2/goals/bob.yaml"
    pack = read_pack(pack_file)
    key = f"goals:{blob_id(goals.read_bytes())}"
    pack[key] = (pack[key][0][:-3], pack[key][1])  # truncated marshal bytes
    write_pack(pack_file, pack)
    shutil.rmtree(cache(base_repo) / "runs")
    for verdicts in cache(base_repo).glob("*/verdicts"):
        shutil.rmtree(verdicts)
    cached = run_cli("score", "--json", cwd=base_repo)
    fresh = run_cli("score", "--json", cwd=base_repo, env={"PERFLOOP_CACHE": "0"})
    assert (cached.returncode, cached.stdout) == (fresh.returncode, fresh.stdout)
    assert "internal error" not in cached.stderr and '"bob"' in cached.stdout


def test_a_malformed_pack_file_is_an_empty_cache(base_repo: Path) -> None:
    """The pack's table of offsets is data like any other: one that points anywhere, a
    payload cut short or an older layout only cost time, never a wrong answer."""
    import marshal

    from perfloop.speed.cache import read_pack
    from perfloop.speed.store import write

    assert run_cli("validate", cwd=base_repo).returncode == 0
    (pack_file,) = cache(base_repo).rglob("2026-h2.pack")
    raw = pack_file.read_bytes()
    size = int.from_bytes(raw[:8], "little")
    tag, keys, offsets = marshal.loads(raw[8 : 8 + size])
    payload = raw[8 + size :]
    assert len(read_pack(pack_file)) == len(keys) > 10

    def pack(table: bytes) -> bytes:
        header = marshal.dumps((tag, keys, table))
        return len(header).to_bytes(8, "little") + header + payload

    damages = {
        "payload cut short": raw[: 8 + size + len(payload) // 2],
        "offsets scrambled": pack(bytes(reversed(offsets))),  # out of order and range
        "offsets shifted": pack(offsets[8:] + offsets[-8:]),  # each names its neighbour's
        "table too short": pack(offsets[:-8]),
        "a size past the end": (len(raw) * 2).to_bytes(8, "little") + raw[8:],
        "header cut short": raw[: 8 + size // 2],
    }
    fresh = run_cli("score", "--json", cwd=base_repo, env={"PERFLOOP_CACHE": "0"})
    for name, damaged in [*damages.items(), ("the older layout", None)]:
        if damaged is None:
            write(pack_file, read_pack(pack_file))  # one dict: key -> (data, problems)
        else:
            pack_file.write_bytes(damaged)
        shutil.rmtree(cache(base_repo) / "runs", ignore_errors=True)
        for verdicts in cache(base_repo).glob("*/verdicts"):
            shutil.rmtree(verdicts)
        cached = run_cli("score", "--json", cwd=base_repo)
        assert (cached.returncode, cached.stdout) == (fresh.returncode, fresh.stdout), name
        assert "internal error" not in cached.stderr, name


# --- the cache is never committed and cannot change a verdict (issue 21, item 7) -------------

_QUOTA_BROKEN = "error: 2 people rated A; the quota allows at most 1 (40% of 2, rounded nearest)"


def _calibration_breaking_a_quota(repo: Path) -> None:
    """The base company in calibration, with eng's file rating both its people A (the
    quota allows one): `perfloop validate` must report it."""
    cycle = repo / "cycles/2026-h2/cycle.yaml"
    text = cycle.read_text().replace("phase: review", "phase: calibration")
    cycle.write_text(text)
    (repo / "cycles/2026-h2/calibration").mkdir()
    (repo / "cycles/2026-h2/calibration/eng.yaml").write_text(
        "ratings:\n  alice: {rating: A, reason: Led the outage work}\n"
        "  bob: {rating: A, reason: Built the dashboards}\n"
    )


def _git(repo: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_a_committed_cache_cannot_pass_a_broken_file(base_repo: Path, tmp_path: Path) -> None:
    """A hostile branch commits `.perfloop-cache/` with a stored run that says "0 error(s)"
    for exactly the content a fresh clone has: the clone still reports the broken quota."""
    import marshal
    import os

    from perfloop.speed import memo

    _calibration_breaking_a_quota(base_repo)
    commit_all(base_repo, "calibration")
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(base_repo), str(clone))
    # the run key the clone will compute (same content, command, date, tool and cwd)
    here = os.getcwd()
    os.chdir(clone)
    try:
        key = memo._key(os.fspath(clone), ["validate"], memo.content_key(os.fspath(clone)))
    finally:
        os.chdir(here)
    forged = base_repo / ".perfloop-cache" / "runs" / key
    forged.parent.mkdir(parents=True)
    forged.write_bytes(marshal.dumps({"out": "0 error(s)\n", "err": "", "code": 0}))
    _git(base_repo, "add", "-f", ".perfloop-cache")
    _git(base_repo, "commit", "-q", "-m", "forged cache")
    _git(clone, "pull", "-q")
    assert (clone / ".perfloop-cache" / "runs" / key).exists()

    result = run_cli("validate", cwd=clone)
    assert result.returncode == 1, result.stdout
    assert _QUOTA_BROKEN in result.stdout
    assert "0 error(s)" not in result.stdout


def test_a_bit_flipped_verdict_is_ignored(base_repo: Path) -> None:
    """A stored verdict whose bytes changed (a bit flip on disk, or an edit) is detected
    and computed again: the error message is the right one, not the damaged one."""
    from perfloop.speed import verdict

    _calibration_breaking_a_quota(base_repo)
    first = run_cli("validate", cwd=base_repo)
    assert first.returncode == 1 and _QUOTA_BROKEN in first.stdout
    (stored,) = verdict.folder(base_repo).iterdir()
    raw = stored.read_bytes()
    at = raw.index(b"people rated A")
    stored.write_bytes(raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :])  # 'p' -> 'q'
    runs = next(p for p in verdict.folder(base_repo).parents if (p / "runs").is_dir()) / "runs"
    shutil.rmtree(runs)  # not answered from the stored output: from the verdict

    again = run_cli("validate", cwd=base_repo)
    assert again.returncode == 1
    assert _QUOTA_BROKEN in again.stdout
    assert "qeople" not in again.stdout


def test_a_bit_flipped_pack_entry_is_examined_again(base_repo: Path) -> None:
    """A parsed file's stored outcome whose bytes changed is not used: the file is read
    again and its own problem reported, word for word."""
    goals = base_repo / "cycles/2026-h2/goals/bob.yaml"
    goals.write_text(goals.read_text().replace("title: Observability", "titel: Observability"))
    first = run_cli("validate", cwd=base_repo)
    assert "unknown field 'titel'" in first.stdout
    (pack_file,) = cache(base_repo).rglob("2026-h2.pack")
    raw = pack_file.read_bytes()
    at = raw.index(b"unknown field 'titel'")
    pack_file.write_bytes(raw[:at] + b"k" + raw[at + 1 :])  # 'unknown' -> 'knknown'
    shutil.rmtree(cache(base_repo) / "runs")
    for verdicts in cache(base_repo).glob("*/verdicts"):
        shutil.rmtree(verdicts)
    again = run_cli("validate", cwd=base_repo)
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)


def test_the_cache_lives_in_git_s_directory_readable_by_its_owner_only(base_repo: Path) -> None:
    """Nothing in the work tree: git sees no new file, not even an ignored one; the cache
    folder is 0700 and its key 0600."""
    commit_all(base_repo, "base")
    for command in ("validate", "score", "calibrate"):
        assert run_cli(command, cwd=base_repo).returncode == 0
    folder = cache(base_repo)
    assert folder == (base_repo / ".git" / "perfloop-cache").resolve()
    assert (folder / "runs").is_dir() and list(folder.glob("*/verdicts/*"))
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / "key").stat().st_mode & 0o777 == 0o600
    assert len((folder / "key").read_bytes()) == 32
    status = _git(base_repo, "status", "--porcelain", "--ignored", "--untracked-files=all")
    assert status == ""


def test_a_linked_worktree_keeps_its_cache_in_its_own_git_directory(
    base_repo: Path, tmp_path: Path
) -> None:
    commit_all(base_repo, "base")
    other = tmp_path / "other"
    _git(base_repo, "worktree", "add", "-q", str(other))
    assert run_cli("validate", cwd=other).returncode == 0
    folder = cache(other)
    assert folder.parent.parent == (base_repo / ".git" / "worktrees").resolve()
    assert list(folder.glob("*/verdicts/*"))
    assert not (other / ".perfloop-cache").exists()


def test_entries_sealed_under_another_key_are_not_trusted(base_repo: Path, monkeypatch) -> None:
    """CI restores a cache saved by another run: its entries count only under the
    PERFLOOP_CACHE_KEY secret. A verdict forged under any other key is ignored, and under
    GitHub Actions without the secret no entry is trusted (a key file may have come with
    the restored cache)."""
    from perfloop.speed import verdict
    from perfloop.speed.store import read, write

    _calibration_breaking_a_quota(base_repo)
    ci = {"GITHUB_ACTIONS": "true", "PERFLOOP_CACHE_KEY": "the-secret"}
    first = run_cli("validate", cwd=base_repo, env=ci)
    assert first.returncode == 1 and _QUOTA_BROKEN in first.stdout
    assert not (cache(base_repo) / "key").exists()  # the secret is the key: no key file
    (stored,) = verdict.folder(base_repo).iterdir()
    monkeypatch.setenv("PERFLOOP_CACHE_KEY", "the-secret")
    forged = read(stored)
    assert forged is not None and forged["problems"]
    forged["problems"] = []
    monkeypatch.setenv("PERFLOOP_CACHE_KEY", "a-guess")
    write(stored, forged)
    again = run_cli("validate", cwd=base_repo, env=ci)
    assert again.returncode == 1 and _QUOTA_BROKEN in again.stdout
    # a key file beside a restored cache is not trusted under GitHub Actions
    monkeypatch.delenv("PERFLOOP_CACHE_KEY")
    write(stored, forged)  # under the folder's own key file, made now
    assert (cache(base_repo) / "key").exists()
    actions = run_cli("validate", cwd=base_repo, env={"GITHUB_ACTIONS": "true"})
    assert actions.returncode == 1 and _QUOTA_BROKEN in actions.stdout
    # the same entry is trusted where its key file is (a local run: the file's owner wrote
    # it), so it was GitHub Actions that refused it above
    assert run_cli("validate", cwd=base_repo).returncode == 0
