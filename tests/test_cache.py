"""The cache and the parallel parser give exactly the results of a plain, uncached run."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from conftest import DATA, ROOT, commit_all, run_cli
from perfloop import repository
from perfloop.cache import FOLDER
from perfloop.validation import validate_cycle


def _formatted(root: Path, cycle: str) -> list[str]:
    return [p.format() for p in validate_cycle(root, cycle).problems]


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
    assert list((messy_repo / FOLDER).rglob("2026-h2.pack"))
    second = _formatted(messy_repo, "2026-h2")  # served from it, positions recomputed
    assert plain == first == second


def test_parallel_parsing_agrees(messy_repo: Path, monkeypatch) -> None:
    monkeypatch.setenv("PERFLOOP_CACHE", "0")
    plain = _formatted(messy_repo, "2026-h2")
    monkeypatch.setattr(repository, "PARALLEL_MIN", 1)
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
    runs = base_repo / FOLDER / "runs"
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
    runs = root / FOLDER / "runs"
    before = set(runs.iterdir()) if runs.is_dir() else set()
    result = run_cli(*args, cwd=root)
    return set(runs.iterdir()) == before, result.stdout


def test_in_a_git_repository_a_replay_follows_what_git_sees(base_repo: Path) -> None:
    """The replay key comes from `git status` there: a tracked, an untracked and an
    ignored change are each a new key, and a rewrite that keeps a file's size and mtime
    (which the stat walk cannot tell) too."""
    import os

    from perfloop import memo

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

    from perfloop import memo

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
    from perfloop.cache import Pack, read_pack

    repo = git.Repo.init(base_repo, initial_branch="main")
    repo.git.add("-A")
    repo.git.commit("-m", "base", "--author", "Henry Park <henry@example.com>")
    assert run_cli("validate", cwd=base_repo).returncode == 0  # main's cache
    (pack_file,) = (base_repo / FOLDER).rglob("2026-h2.pack")
    before = set(read_pack(pack_file))
    goals = base_repo / "cycles/2026-h2/goals/bob.yaml"
    goals.write_text(goals.read_text().replace("title: Observability", "title: Tracing"))
    repo.git.commit("-am", "retitle", "--author", "Bob <bob@example.com>")

    parsed: list[str] = []
    real = repository.examine

    def counting(raw: bytes, path: str, kind: str):
        parsed.append(path)
        return real(raw, path, kind)

    monkeypatch.setattr(repository, "examine", counting)
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
    repository.load_cycle(example_repo, "2026-h2")
    assert gc.get_freeze_count() > 0
    PerfloopPlugin().on_post_build(None)  # the end of every build, also under `mkdocs serve`
    assert gc.get_freeze_count() == 0


def _verdicts(repo: Path) -> list[Path]:
    return sorted((repo / FOLDER).glob("*/verdicts/*"))


def _drop_runs(repo: Path) -> None:
    shutil.rmtree(repo / FOLDER / "runs", ignore_errors=True)


def test_commands_share_one_verdict_that_equals_a_fresh_computation(example_repo: Path) -> None:
    """`validate` checks the cycle once; `score` and `calibrate` in new processes take its
    verdict (rule problems and scores) and print exactly what an uncached run prints."""
    import marshal

    commands = [
        ("score", "--json"),
        ("score",),  # the table, printed from the stored scores' own fields
        ("score", "--person", "alice", "--json"),
        ("score", "--person", "alice"),  # the breakdown: nested records built
        ("calibrate", "--json"),
    ]
    fresh = {c: run_cli(*c, cwd=example_repo, env={"PERFLOOP_CACHE": "0"}) for c in commands}
    assert not _verdicts(example_repo)
    assert run_cli("validate", cwd=example_repo).returncode == 0
    stored = _verdicts(example_repo)
    assert len(stored) == 2  # one per cycle
    for command, expected in fresh.items():
        _drop_runs(example_repo)  # no replayed output: the command runs, from the verdict
        again = run_cli(*command, cwd=example_repo)
        assert (again.returncode, again.stdout) == (expected.returncode, expected.stdout)
        assert "alice" in again.stdout or '"groups"' in again.stdout
    assert _verdicts(example_repo) == stored  # the same content: no new verdict

    # a stored score that no longer decodes is computed afresh, never printed wrong
    damaged = 0
    for file in stored:
        kept = marshal.loads(file.read_bytes())
        if "alice" in (kept.get("scores") or {}):
            kept["scores"]["alice"] = kept["scores"]["alice"][:-5]
            file.write_bytes(marshal.dumps(kept))
            damaged += 1
    assert damaged
    for command in (("score",), ("score", "--json")):
        _drop_runs(example_repo)
        again = run_cli(*command, cwd=example_repo)
        assert (again.returncode, again.stdout) == (0, fresh[command].stdout)

    # own fields intact, nested records damaged (all of them, or one kind: each kind is
    # decoded apart): the summary still reads, what needs the damaged records (the
    # breakdown, the leniency report) is computed afresh
    def one_kind(nested: bytes) -> bytes:
        parts = marshal.loads(nested)
        parts["review_groups"] = parts["review_groups"][:-5]
        return marshal.dumps(parts)

    for damage in (lambda nested: nested[:-5], one_kind):
        for file in _verdicts(example_repo):
            file.unlink()
        _drop_runs(example_repo)
        assert run_cli("validate", cwd=example_repo).returncode == 0
        for file in _verdicts(example_repo):
            kept = marshal.loads(file.read_bytes())
            if "alice" in (kept.get("scores") or {}):
                own, nested = marshal.loads(kept["scores"]["alice"])
                kept["scores"]["alice"] = marshal.dumps((own, damage(nested)))
                file.write_bytes(marshal.dumps(kept))
        for command in commands:
            _drop_runs(example_repo)
            again = run_cli(*command, cwd=example_repo)
            assert (again.returncode, again.stdout) == (
                fresh[command].returncode,
                fresh[command].stdout,
            )


def test_a_changed_review_is_a_new_verdict(example_repo: Path) -> None:
    assert run_cli("score", "--json", cwd=example_repo).returncode == 0
    review = sorted((example_repo / "cycles/2026-h2/reviews/alice").glob("*.yaml"))[0]
    text = review.read_text()
    for rating in ("4", "5"):
        text = text.replace(f": {rating}\n", ": 1\n")
    review.write_text(text)
    cached = run_cli("score", "--json", cwd=example_repo)
    fresh = run_cli("score", "--json", cwd=example_repo, env={"PERFLOOP_CACHE": "0"})
    assert cached.stdout == fresh.stdout
    assert len(_verdicts(example_repo)) == 2


def test_a_malformed_verdict_is_computed_again(messy_repo: Path, monkeypatch) -> None:
    """A verdict file that is not what this tool wrote (truncated, or of another shape)
    never decides anything: the cycle is checked afresh."""
    import marshal

    monkeypatch.setenv("PERFLOOP_CACHE", "0")
    plain = _formatted(messy_repo, "2026-h2")
    monkeypatch.setenv("PERFLOOP_CACHE", "1")
    assert _formatted(messy_repo, "2026-h2") == plain
    (stored,) = _verdicts(messy_repo)
    content = marshal.loads(stored.read_bytes())["content"]
    for broken in (b"\x00garbage", marshal.dumps({"content": content, "problems": [("x",)]})):
        stored.write_bytes(broken)
        assert _formatted(messy_repo, "2026-h2") == plain


def test_goal_and_review_records_are_built_on_first_use(example_repo: Path) -> None:
    """A command answered from a verdict reads a few records of 70,000 at 10,000 people."""
    data, _ = repository.load_cycle(example_repo, "2026-h2")
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
    from perfloop.cache import Pack
    from perfloop.sources import blob_id

    assert run_cli("validate", cwd=base_repo).returncode == 0
    (pack_file,) = (base_repo / FOLDER).rglob("2026-h2.pack")
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

    from perfloop.cache import Pack, read_pack
    from perfloop.store import fingerprint, read

    for age, name in enumerate(("a" * 16, "b" * 16, "c" * 16)):  # older tools' folders
        old = tmp_path / FOLDER / name
        old.mkdir(parents=True)
        os.utime(old, (1_000_000 + age, 1_000_000 + age))
    pack = Pack(tmp_path, "c1")
    for i in range(100):
        pack.put("goals", f"{i:040x}", ({"i": i}, []))
    pack.save(prune=False)
    assert pack.file.exists() and not pack.delta_file.exists()  # the first write is a pack
    survivors = sorted(p.name for p in (tmp_path / FOLDER).iterdir() if p.is_dir())
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
    from perfloop.cache import read_pack, write_pack
    from perfloop.sources import blob_id

    assert run_cli("validate", cwd=base_repo).returncode == 0
    (pack_file,) = (base_repo / FOLDER).rglob("2026-h2.pack")
    goals = base_repo / "cycles/2026-h2/goals/bob.yaml"
    pack = read_pack(pack_file)
    key = f"goals:{blob_id(goals.read_bytes())}"
    pack[key] = (pack[key][0][:-3], pack[key][1])  # truncated marshal bytes
    write_pack(pack_file, pack)
    shutil.rmtree(base_repo / FOLDER / "runs")
    for verdicts in (base_repo / FOLDER).glob("*/verdicts"):
        shutil.rmtree(verdicts)
    cached = run_cli("score", "--json", cwd=base_repo)
    fresh = run_cli("score", "--json", cwd=base_repo, env={"PERFLOOP_CACHE": "0"})
    assert (cached.returncode, cached.stdout) == (fresh.returncode, fresh.stdout)
    assert "internal error" not in cached.stderr and '"bob"' in cached.stdout


def test_a_malformed_pack_file_is_an_empty_cache(base_repo: Path) -> None:
    """The pack's table of offsets is data like any other: one that points anywhere, a
    payload cut short or an older layout only cost time, never a wrong answer."""
    import marshal

    from perfloop.cache import read_pack
    from perfloop.store import write

    assert run_cli("validate", cwd=base_repo).returncode == 0
    (pack_file,) = (base_repo / FOLDER).rglob("2026-h2.pack")
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
        shutil.rmtree(base_repo / FOLDER / "runs", ignore_errors=True)
        for verdicts in (base_repo / FOLDER).glob("*/verdicts"):
            shutil.rmtree(verdicts)
        cached = run_cli("score", "--json", cwd=base_repo)
        assert (cached.returncode, cached.stdout) == (fresh.returncode, fresh.stdout), name
        assert "internal error" not in cached.stderr, name
