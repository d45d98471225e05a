"""`perfloop demo --sealed --keys KEYDIR`: a sealed company whose confidential files were
never plaintext in git, each identity opening exactly what SPEC section 7's table gives it,
and HR's scores the plain demo's."""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pyrage
import pytest
import yaml
from pyrage import x25519

from conftest import run_cli
from perfloop import demo

CYCLE = f"cycles/{demo.CYCLE_ID}"
PEOPLE, SEED = 40, 3
# The plaintext of a confidential file's structure: no plain file of the demo has these.
MARKERS = (b"\nratings:\n", b"\nfinal: ", b"\nsummary:\n", b"improvement_plan:")


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the repository, the keys folder) of a sealed 40-person demo made by the real CLI."""
    where = tmp_path_factory.mktemp("sealed")
    repo, keys = where / "acme", where / "keys"
    args = ("--people", str(PEOPLE), "--seed", str(SEED), "--sealed", "--keys", str(keys))
    result = run_cli("demo", str(repo), *args, cwd=where)
    assert result.returncode == 0, result.stderr
    assert f"Created a sealed demo company of {PEOPLE} people" in result.stdout
    return repo, keys


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("plain")
    result = run_cli("demo", "acme", "--people", str(PEOPLE), "--seed", str(SEED), cwd=where)
    assert result.returncode == 0, result.stderr
    return where / "acme"


def org_of(repo: Path) -> dict:
    return yaml.safe_load((repo / CYCLE / "org.yaml").read_text(encoding="utf-8"))


def identity(keys: Path, name: str) -> x25519.Identity:
    lines = (keys / f"{name}.key").read_text().splitlines()
    return x25519.Identity.from_str(next(k for k in lines if k.startswith("AGE-SECRET-KEY-")))


def opens(path: Path, key: x25519.Identity) -> bool:
    try:
        pyrage.decrypt(path.read_bytes(), [key])
    except pyrage.DecryptError:
        return False
    return True


def sealed_files(repo: Path) -> list[str]:
    folder = repo / CYCLE
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.age"))


def hr_of(repo: Path) -> str:
    return org_of(repo)["roles"]["hr"][0]


def expected_readers(org: dict, rel: str) -> set[str]:
    """SPEC section 7's table, computed here from org.yaml alone (the default
    `confidentiality_subject_reads: [manager]`); the org key reads every file."""
    people = {p["id"]: p for p in org["people"]}
    departments = {d["id"]: d for d in org["departments"]}
    manager = {pid: p.get("manager") for pid, p in people.items()}
    hr = set(org["roles"]["hr"])
    rel = rel.removesuffix(".age")
    if found := re.fullmatch(r"reviews/([^/]+)/([^/]+)\.yaml", rel):
        subject, reviewer = found.groups()
        boss = manager[subject]
        readers = {reviewer, boss, manager.get(boss) if boss else None, *hr}
        if reviewer == boss:
            readers.add(subject)
    elif found := re.fullmatch(r"calibration/([^/]+)\.yaml", rel):
        readers = {departments[found.group(1)]["head"], *hr}
    elif found := re.fullmatch(r"results/([^/]+)\.yaml", rel):
        person = found.group(1)
        readers = {person, manager[person], *hr}
        dept: str | None = people[person]["department"]
        while dept:
            readers.add(departments[dept]["head"])
            dept = departments[dept].get("parent")
    else:
        assert rel == "results.yaml", rel
        readers = set(hr)
    return {r for r in readers if r} | {"org"}


def blobs(repo: Path) -> list[bytes]:
    """Every blob of every commit of the repository's history."""
    listing = subprocess.run(
        ["git", "rev-list", "--all", "--objects"], cwd=repo, capture_output=True, check=True
    ).stdout.split(b"\n")
    ids = b"".join(line.split(b" ")[0] + b"\n" for line in listing if line.strip())
    out = subprocess.run(
        ["git", "cat-file", "--batch"], cwd=repo, input=ids, capture_output=True, check=True
    ).stdout
    found, at = [], 0
    while at < len(out):
        end = out.index(b"\n", at)
        _, kind, size = out[at:end].split(b" ")
        body = out[end + 1 : end + 1 + int(size)]
        at = end + 2 + int(size)
        if kind == b"blob":
            found.append(body)
    return found


def confidential_plaintext(plain: Path) -> list[bytes]:
    """Each quoted text of the plain demo's reviews and calibration files (comments,
    strengths, improvements, actions, reasons): what must never be in a sealed company's git."""
    texts = set()
    for path in [*(plain / CYCLE).glob("reviews/*/*.yaml"), *(plain / CYCLE).glob("calibration/*")]:
        texts.update(re.findall(r'"(?:[^"\\]|\\.)+"', path.read_text(encoding="utf-8")))
    return sorted(json.loads(t).encode() for t in texts if len(t) > 12)


def assert_no_plaintext(repo: Path, needles: list[bytes]) -> None:
    every = blobs(repo)
    assert every and needles
    for blob in every:
        for needle in needles:
            assert needle not in blob, needle
        for marker in MARKERS:
            assert marker not in blob, marker


def test_keys_are_written_for_everyone_and_private(sealed: tuple[Path, Path]) -> None:
    repo, keys = sealed
    org = org_of(repo)
    assert {p.name for p in keys.iterdir()} == {f"{p['id']}.key" for p in org["people"]} | {
        "org.key"
    }
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    for path in keys.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for person in org["people"]:
        assert person["key"] == str(identity(keys, person["id"]).to_public())
    assert org["org_key"] == str(identity(keys, "org").to_public())
    cycle = yaml.safe_load((repo / CYCLE / "cycle.yaml").read_text(encoding="utf-8"))
    assert cycle["confidentiality"] == "sealed"
    assert not any(p.is_relative_to(repo) for p in keys.rglob("*"))


def test_the_sealed_company_validates_as_the_keyless_check_sees_it(
    sealed: tuple[Path, Path],
) -> None:
    repo, keys = sealed
    result = run_cli("validate", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s), 0 warning(s)" in result.stderr
    as_hr = run_cli("validate", "-i", str(keys / f"{hr_of(repo)}.key"), cwd=repo)
    assert as_hr.returncode == 0 and "0 error(s), 0 warning(s)" in as_hr.stderr, as_hr.stderr


def test_every_confidential_file_is_sealed_and_no_plaintext_is_in_git(
    sealed: tuple[Path, Path], plain: Path
) -> None:
    repo, _ = sealed
    plain_confidential = sorted(
        p.relative_to(plain / CYCLE).as_posix() + ".age"
        for pattern in ("reviews/*/*.yaml", "calibration/*.yaml")
        for p in (plain / CYCLE).glob(pattern)
    )
    assert sealed_files(repo) == plain_confidential
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [f for f in tracked if re.search(r"/(reviews|calibration)/.*\.yaml$", f)]
    assert_no_plaintext(repo, confidential_plaintext(plain))


def test_after_cycle_close_with_hr_key_git_still_holds_no_plaintext(
    sealed: tuple[Path, Path], plain: Path, tmp_path: Path
) -> None:
    source, keys = sealed
    repo = tmp_path / "acme"
    shutil.copytree(source, repo)
    hr = keys / f"{hr_of(repo)}.key"
    closed = run_cli("cycle", "close", "--date", "2026-12-20", "-i", str(hr), cwd=repo)
    assert closed.returncode == 0, closed.stdout + closed.stderr
    git = ["git", "-c", "user.name=HR", "-c", "user.email=hr@example.com"]
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "Close"], cwd=repo, check=True)
    results = [f for f in sealed_files(repo) if f.startswith("results")]
    assert len(results) == PEOPLE + 1  # results.yaml and one results/<p>.yaml each
    org_key = identity(keys, "org")
    needles = confidential_plaintext(plain)
    for rel in results:  # what close wrote: the scores, ratings and bonuses themselves
        text = pyrage.decrypt((repo / CYCLE / rel).read_bytes(), [org_key]).decode()
        needles += [line.encode() for line in text.splitlines() if line.startswith("# Results")]
    assert_no_plaintext(repo, needles)
    org = org_of(repo)
    for rel in results:
        readers = expected_readers(org, rel)
        for name in ("org", hr_of(repo), *(p["id"] for p in org["people"][:8])):
            assert opens(repo / CYCLE / rel, identity(keys, name)) == (name in readers), (
                rel,
                name,
            )


def roles(org: dict) -> dict[str, str]:
    """One person of each kind of reader: an employee, a manager of employees, a head over
    managers (a skip level), HR, and the org key. (In the demo every manager heads a
    department: the manager of a team is the head of that team's department.)"""
    hr = set(org["roles"]["hr"])
    reports: dict[str, list[str]] = {}
    for p in org["people"]:
        reports.setdefault(p.get("manager"), []).append(p["id"])
    ids = [p["id"] for p in org["people"] if p["id"] not in hr]
    return {
        "employee": next(p for p in ids if p not in reports),
        "manager": next(p for p in ids if p in reports and not set(reports[p]) & set(reports)),
        "head": next(p for p in ids[1:] if set(reports.get(p, ())) & set(reports)),
        "hr": org["roles"]["hr"][0],
        "org key": "org",
    }


def test_each_identity_opens_exactly_what_the_audience_table_gives_it(
    sealed: tuple[Path, Path],
) -> None:
    repo, keys = sealed
    org = org_of(repo)
    files = sealed_files(repo)
    for role, name in roles(org).items():
        key = identity(keys, name)
        opened = {rel for rel in files if opens(repo / CYCLE / rel, key)}
        wanted = {rel for rel in files if name in expected_readers(org, rel)}
        assert opened == wanted, role
        assert opened, role
    everything = {rel for rel in files if opens(repo / CYCLE / rel, identity(keys, "org"))}
    assert everything == set(files)


def test_show_opens_an_employees_own_manager_review_and_refuses_a_peers(
    sealed: tuple[Path, Path],
) -> None:
    repo, keys = sealed
    org = org_of(repo)
    employee = roles(org)["employee"]
    boss = next(p["manager"] for p in org["people"] if p["id"] == employee)
    own = run_cli(
        "show",
        f"{CYCLE}/reviews/{employee}/{boss}.yaml.age",
        "-i",
        f"{keys}/{employee}.key",
        cwd=repo,
    )
    assert own.returncode == 0 and "ratings:" in own.stdout, own.stderr
    peer = next(
        f
        for f in sealed_files(repo)
        if f.startswith(f"reviews/{employee}/")
        and f"/{boss}." not in f
        and f"/{employee}." not in f
    )
    refused = run_cli("show", f"{CYCLE}/{peer}", "-i", f"{keys}/{employee}.key", cwd=repo)
    assert refused.returncode == 1
    assert "sealed, not readable by you" in refused.stdout + refused.stderr
    assert "ratings:" not in refused.stdout


def test_hr_scores_the_sealed_company_as_the_plain_demo_of_the_same_seed(
    sealed: tuple[Path, Path], plain: Path
) -> None:
    repo, keys = sealed
    as_hr = run_cli("score", "--json", "-i", str(keys / f"{hr_of(repo)}.key"), cwd=repo)
    expected = run_cli("score", "--json", cwd=plain)
    assert as_hr.returncode == 0 and expected.returncode == 0, as_hr.stderr + expected.stderr
    assert json.loads(as_hr.stdout) == json.loads(expected.stdout)
    assert all(p["rating"] for p in json.loads(as_hr.stdout)["people"])


def test_an_employee_scores_what_they_may_read_and_sees_the_rest_sealed(
    sealed: tuple[Path, Path], plain: Path
) -> None:
    repo, keys = sealed
    employee = roles(org_of(repo))["employee"]
    mine = run_cli("score", "--json", "-i", str(keys / f"{employee}.key"), cwd=repo)
    assert mine.returncode == 0, mine.stderr
    full = {p["id"]: p for p in json.loads(run_cli("score", "--json", cwd=plain).stdout)["people"]}
    people = json.loads(mine.stdout)["people"]
    for row in people:  # goals are plain: everyone's OKR and KPI scores are readable
        assert (row["okr"], row["kpi"]) == (full[row["id"]]["okr"], full[row["id"]]["kpi"])
        assert row["rating"] is None and "rating" in row["sealed"]  # calibration: heads, HR
    assert sum("review" in row["sealed"] for row in people) >= PEOPLE - 2
    text = run_cli("score", "-i", str(keys / f"{employee}.key"), cwd=repo)
    assert text.returncode == 0 and "sealed (not readable by you)" in text.stdout, text.stderr
    keyless = run_cli("score", "--json", cwd=repo)  # no identity: every review sealed
    assert all("review" in p["sealed"] for p in json.loads(keyless.stdout)["people"][1:])


@pytest.mark.parametrize(
    "args, says",
    [
        (["--sealed"], "--sealed and --keys go together"),
        (["--keys", "keys"], "--sealed and --keys go together"),
        (["--sealed", "--keys", "acme/keys"], "inside"),
    ],
)
def test_sealed_and_keys_are_a_pair_and_keys_stay_out_of_the_repository(
    tmp_path: Path, args: list[str], says: str
) -> None:
    result = run_cli("demo", "acme", "--people", "20", *args, cwd=tmp_path)
    assert result.returncode == 2 and says in result.stderr, result.stderr
    assert not (tmp_path / "acme").exists() and not (tmp_path / "keys").exists()


def test_refuses_a_keys_folder_that_holds_files(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "org.key").write_text("mine\n")
    result = run_cli("demo", "acme", "--people", "20", "--sealed", "--keys", "keys", cwd=tmp_path)
    assert result.returncode == 2 and "not empty" in result.stderr
    assert (tmp_path / "keys" / "org.key").read_text() == "mine\n"
    assert not (tmp_path / "acme").exists()


def test_the_demo_names_an_hr_identity_that_reads_every_sealed_file(tmp_path: Path) -> None:
    """The last line before "Next" is the identity to try first: one of HR's, not a guess."""
    result = run_cli("demo", "acme", "--people", "20", "--sealed", "--keys", "keys", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    hr = hr_of(tmp_path / "acme")
    assert f"HR reads everything: --identity {Path('keys') / (hr + '.key')}" in result.stdout
    key = identity(tmp_path / "keys", hr)
    assert all(
        opens(tmp_path / "acme" / CYCLE / rel, key) for rel in sealed_files(tmp_path / "acme")
    )


@pytest.mark.parametrize("who", ["hr", "employee", "nobody"])
def test_sealed_files_opened_in_worker_processes_are_those_opened_in_turn(
    sealed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    """speed/loading.py opens many sealed files in forked workers (plaintext back through the
    pool's pipe): the same files opened, documents, problems and scores as one by one."""
    from perfloop.repository import load_cycle, open_each
    from perfloop.scoring import score_cycle
    from perfloop.sealing.age import load_identities
    from perfloop.sealing.reader import Reader
    from perfloop.speed import loading

    repo, keys = sealed
    names = {"hr": hr_of(repo), "employee": roles(org_of(repo))["employee"]}
    reader = Reader(load_identities(keys / f"{names[who]}.key")) if who in names else None
    used: list[int] = []

    def parallel(*args):  # the workers' path, even for this small company
        used.append(len(args[1]))
        return loading.open_sealed(*args)

    monkeypatch.setattr(loading, "PARALLEL_MIN", 1)
    fast, fast_problems = load_cycle(repo, demo.CYCLE_ID, reader=reader, open_all=parallel)
    slow, slow_problems = load_cycle(repo, demo.CYCLE_ID, reader=reader, open_all=open_each)
    assert used == [len(sealed_files(repo))] and fast is not None and slow is not None
    assert fast_problems == slow_problems == []
    assert dict(fast.unreadable) == dict(slow.unreadable)
    assert fast.opened == slow.opened == (reader is not None)
    assert {k: r.ratings for k, r in fast.reviews.items()} == {
        k: r.ratings for k, r in slow.reviews.items()
    }
    assert score_cycle(fast) == score_cycle(slow)


def test_a_worker_that_dies_opening_sealed_files_leaves_them_to_the_loader(
    sealed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parser crash on a sealed file's plaintext kills its worker process; HR's read still
    opens every file, with the loader's outcome for each, not a traceback."""
    import os

    from perfloop.repository import load_cycle
    from perfloop.sealing.age import load_identities
    from perfloop.sealing.reader import Reader
    from perfloop.speed import fastload, loading

    repo, keys = sealed
    reader = Reader(load_identities(keys / f"{hr_of(repo)}.key"))
    real, parent = fastload.parse, os.getpid()

    def crashing(text: str):
        if os.getpid() != parent:  # only sealed files are parsed in workers here
            os._exit(139)  # as a segfault in a worker would
        return real(text)

    expected, expected_problems = load_cycle(repo, demo.CYCLE_ID, reader=reader)
    monkeypatch.setattr(fastload, "yaml_rs", fastload.yaml_rs)  # restored after the test
    monkeypatch.setattr(fastload, "parse", crashing)
    monkeypatch.setattr(loading, "PARALLEL_MIN", 1)
    data, problems = load_cycle(repo, demo.CYCLE_ID, reader=reader, open_all=loading.open_sealed)
    assert data is not None and expected is not None and problems == expected_problems == []
    assert not data.unreadable and data.opened
    assert {k: r.ratings for k, r in data.reviews.items()} == {
        k: r.ratings for k, r in expected.reviews.items()
    }
    assert not fastload.available()  # the rest of the run reads with the loader


def test_a_read_in_worker_processes_leaves_no_plaintext_in_the_cache(
    sealed: tuple[Path, Path], plain: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from perfloop import engine
    from perfloop.root import cache_folder
    from perfloop.sealing.age import load_identities
    from perfloop.sealing.reader import Reader
    from perfloop.speed import loading

    source, keys = sealed
    repo = tmp_path / "acme"
    shutil.copytree(source, repo)
    monkeypatch.setattr(loading, "PARALLEL_MIN", 1)
    monkeypatch.setattr(engine, "_reader", Reader(load_identities(keys / f"{hr_of(repo)}.key")))
    data, problems = engine.load_cycle(repo, demo.CYCLE_ID)  # the cached load, plain files kept
    assert data is not None and data.opened and not data.unreadable and not problems
    stored = [p.read_bytes() for p in Path(cache_folder(repo)).rglob("*") if p.is_file()]
    assert stored  # the plain files were cached
    for blob in stored:
        for needle in confidential_plaintext(plain):
            assert needle not in blob, needle
        for marker in MARKERS:
            assert marker not in blob, marker


def test_hr_and_then_the_org_key_have_the_first_stanzas(sealed: tuple[Path, Path]) -> None:
    """Whoever opens every file (HR's `score`, the gate) finds their stanza first: age
    readers try a file's stanzas in order, a key agreement each."""
    from perfloop.sealing import age, fastopen

    repo, keys = sealed
    hr = org_of(repo)["roles"]["hr"]
    readers = [*hr, "org"]
    fast = {name: fastopen.fast_keys([str(identity(keys, name))]) for name in readers}
    for rel in sealed_files(repo)[::7]:
        binary = age.dearmor((repo / CYCLE / rel).read_bytes())
        stanzas = [
            (fastopen._decode(share), fastopen._decode(body))
            for share, body in re.findall(rb"^-> X25519 (\S+)\n(\S+)\n", binary, re.M)
        ]
        opener = [
            next((n for n in readers if fastopen._file_key([s], fast[n])), None) for s in stanzas
        ]
        assert opener[: len(readers)] == readers, rel
        assert all(o is None for o in opener[len(readers) :]), rel  # the others' stanzas
