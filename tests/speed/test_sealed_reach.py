"""A keyless pull request's check of a sealed cycle is derived from the base's verdict, and
equals a full keyless check, problem for problem (SPEC section 7).

Without a key the check decides of a sealed file only what its header, its path and org.yaml
say: well-formed age, recipient stanzas as many and of the kinds its audience's keys are,
no plain twin, not in a plain cycle. A sealed file is part of the content by its blob id,
with the kind and the reach of its plain form (`reviews/a/b.yaml.age` reaches what
`reviews/a/b.yaml` reaches). Each mutation below is applied to a committed sealed demo
company whose base verdict was stored (as CI restores main's), and the derived check is
compared with an uncached full one; a change that only a full load can follow (org.yaml, a
file in both forms, a plain confidential file) must fall back to it. With a key nothing of
what was opened reaches the cache.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from conftest import commit_all, run_cli
from perfloop import engine
from perfloop.gitrepo import GitRepo
from perfloop.loader import MAX_BYTES
from perfloop.repository import load_cycle
from perfloop.root import cache_folder
from perfloop.scoring import score_cycle
from perfloop.sealing import age, reader
from perfloop.sealing.files import seal_bytes
from perfloop.sealing.reader import Reader
from perfloop.speed import incremental, verdict

CYCLE = "2026-h2"
DIR = f"cycles/{CYCLE}"

Mutation = Callable[[Path], None]
# changes that are no error: the others must show a problem, so that they cannot pass unseen
BENIGN = {
    "a sealed review added",
    "a sealed review deleted",
    "a sealed review re-sealed with other content",
    "a sealed calibration re-sealed with a reason",
}


@pytest.fixture(scope="module")
def sealed_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A committed sealed demo company of 40 people, and its keys folder."""
    folder = tmp_path_factory.mktemp("sealed")
    made = run_cli(
        "demo", "company", "--people", "40", "--seed", "3", "--sealed", "--keys", "keys",
        cwd=folder,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return folder / "company", folder / "keys"


@pytest.fixture
def company(sealed_demo: tuple[Path, Path], tmp_path: Path) -> Path:
    root = tmp_path / "company"
    shutil.copytree(sealed_demo[0], root)
    return root


def hr_identity(keys: Path, root: Path) -> age.Identities:
    org = (root / DIR / "org.yaml").read_text(encoding="utf-8")
    hr = re.search(r"^  hr: \[([a-z0-9-]+)", org, re.M)
    assert hr is not None
    return age.load_identities(keys / f"{hr[1]}.key")


def keyless_model(root: Path):
    data, _ = load_cycle(root, CYCLE)
    assert data is not None
    return data


def reviews(root: Path) -> list[str]:
    """The sealed reviews, as paths inside the cycle folder."""
    folder = root / DIR
    return sorted(str(p.relative_to(folder)) for p in folder.glob("reviews/*/*.yaml.age"))


def reseal(keys: Path, rel: str, change: Callable[[dict], None]) -> Mutation:
    """HR opens `rel`, changes its data and seals it again to its audience."""

    def mutate(root: Path) -> None:
        path = root / DIR / rel
        data = yaml.safe_load(hr_identity(keys, root).open(path.read_bytes()) or b"")
        change(data)
        plain = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()
        path.write_bytes(seal_bytes(keyless_model(root), rel[: -len(".age")], plain)[0])

    return mutate


def mutations(root: Path, keys: Path) -> list[tuple[str, bool, Mutation]]:
    """(what, whether it is derived, the change) for every kind of change to sealed files."""
    all_reviews = reviews(root)
    review = all_reviews[0]
    subject = review.split("/")[1]
    other = all_reviews[-1]
    calibration = sorted(p.name for p in (root / DIR / "calibration").glob("*.yaml.age"))[-1]
    org_text = (root / DIR / "org.yaml").read_text(encoding="utf-8")
    people = re.findall(r"^  - \{id: ([a-z0-9-]+),", org_text, re.M)
    reviewers = {p.name.split(".")[0] for p in (root / DIR / "reviews" / subject).iterdir()}
    newcomer = next(p for p in people if p not in reviewers and p != subject)

    def write(rel: str, raw: bytes) -> Mutation:
        return lambda r: (r / DIR / rel).write_bytes(raw)

    def add_review(r: Path) -> None:
        rel = f"reviews/{subject}/{newcomer}.yaml"
        plain = (r / DIR / review).read_bytes()
        opened = hr_identity(keys, r).open(plain)
        assert opened is not None
        (r / DIR / f"{rel}.age").write_bytes(seal_bytes(keyless_model(r), rel, opened)[0])

    def wrong_keys(r: Path) -> None:
        opened = hr_identity(keys, r).open((r / DIR / review).read_bytes())
        assert opened is not None
        (r / DIR / review).write_bytes(age.seal(opened, [age.generate_identity()[1]]))

    def plain_twin(r: Path) -> None:
        opened = hr_identity(keys, r).open((r / DIR / review).read_bytes())
        assert opened is not None
        (r / DIR / review[: -len(".age")]).write_bytes(opened)

    def plain_review(r: Path) -> None:  # about to be sealed: an error, and never cached
        rel = f"reviews/{subject}/{newcomer}.yaml"
        opened = hr_identity(keys, r).open((r / DIR / review).read_bytes())
        assert opened is not None
        (r / DIR / rel).write_bytes(opened)

    def drop_key(r: Path) -> None:
        org = r / DIR / "org.yaml"
        org.write_text(re.sub(rf"(\{{id: {subject}, [^}}]*), key: [^,}}]+", r"\1", org.read_text()))

    def new_manager(r: Path) -> None:
        org = r / DIR / "org.yaml"
        text = org.read_text()
        line = re.search(rf"^  - \{{id: {subject}, .*$", text, re.M)
        assert line is not None and "manager: " in line[0]
        changed = re.sub(r"manager: [a-z0-9-]+", f"manager: {newcomer}", line[0])
        org.write_text(text.replace(line[0], changed))

    def new_ssh_key(r: Path) -> None:  # a key of another kind: every file of theirs is stale
        org = r / DIR / "org.yaml"
        ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0sZpd1kFVUgZxXUnNH1bWNvuQOnvhhnrYyswjFmUFE"
        org.write_text(
            re.sub(rf"(\{{id: {subject}, [^}}]*key: )[^,}}]+", rf"\g<1>{ssh}", org.read_text())
        )

    return [
        ("a sealed review added", True, add_review),
        ("a sealed review deleted", True, lambda r: (r / DIR / review).unlink()),
        ("a sealed review re-sealed with other content", True,
         reseal(keys, other, lambda d: d.update(summary="Rewritten in the pull request."))),
        ("a sealed calibration re-sealed with a reason", True,
         reseal(keys, f"calibration/{calibration}", lambda d: [
             e.setdefault("reason", "Confirmed.") for e in d["ratings"].values()])),
        ("a sealed review re-sealed to the wrong keys", True, wrong_keys),
        ("a sealed review that is junk", True, write(review, b"not an age file\n")),
        ("a sealed review truncated", True, lambda r: (r / DIR / review).write_bytes(
            (r / DIR / review).read_bytes()[:200])),
        ("a sealed file of a goals file", False, write("goals/nobody.yaml.age", b"junk\n")),
        ("a sealed review over the size limit", False, write(review, b"x" * (MAX_BYTES + 1))),
        ("a plain twin added", False, plain_twin),
        ("a plain review added in a sealed cycle", False, plain_review),
        ("a person's key dropped from org.yaml", False, drop_key),
        ("a person's key of another kind", False, new_ssh_key),
        ("a new manager in org.yaml", False, new_manager),
    ]  # fmt: skip


def derive(root: Path) -> incremental.CycleResult | None:
    repo = GitRepo(root)
    changed = {c.path: c.status for c in repo.changed("HEAD")}
    return incremental.check(root, CYCLE, repo, repo.resolve("HEAD"), changed)


def full(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], dict, str]:
    """An uncached keyless check: its problems, every person's score, the content digest."""
    monkeypatch.setenv("PERFLOOP_CACHE", "0")
    result = engine.full(root, CYCLE)
    monkeypatch.delenv("PERFLOOP_CACHE")
    assert result.data is not None
    scores = dict(score_cycle(result.data))
    return [p.format() for p in result.problems], scores, result.data.content


def test_a_keyless_check_of_a_sealed_cycle_is_derived_and_equals_a_full_check(
    sealed_demo: tuple[Path, Path], company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PERFLOOP_CACHE", raising=False)
    monkeypatch.setattr(engine, "_reader", None)
    base = [p.format() for p in engine.full(company, CYCLE).problems]  # main's verdict
    repo = GitRepo(company)
    wrong: list[str] = []
    for what, derived_expected, mutate in mutations(company, sealed_demo[1]):
        mutate(company)
        derived = derive(company)
        expected, scores, content = full(company, monkeypatch)
        if derived_expected and expected == base and what not in BENIGN:
            wrong.append(f"{what}: the change shows no problem (a case that cannot fail)")
        if derived is None:
            if derived_expected:
                wrong.append(f"{what}: not derived")
        elif [p.format() for p in derived.problems] != expected:
            wrong.append(f"{what}: derived check differs from a full check")
        elif not derived_expected:
            wrong.append(f"{what}: derived, though only a full load can follow it")
        else:
            kept = verdict.lookup(company, DIR, content)
            if kept is None or dict(kept.scores or {}) != scores:
                wrong.append(f"{what}: the derived verdict's scores are not a full check's")
        # the engine's door, as `perfloop check` asks it: the same answer either way
        statuses = {c.path: c.status for c in repo.changed("HEAD")}
        door = engine.verdict(
            company, CYCLE, base=engine.Base(repo, repo.resolve("HEAD"), statuses)
        )
        if [p.format() for p in door.problems] != expected:
            wrong.append(f"{what}: the engine's answer differs from a full check")
        subprocess.run(["git", "checkout", "-q", "--", "."], cwd=company, check=True)
        subprocess.run(["git", "clean", "-fdq", "--", DIR], cwd=company, check=True)
    assert wrong == [], "\n".join(wrong)


def test_the_derived_file_count_is_the_full_one(
    sealed_demo: tuple[Path, Path], company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check` prints how many files loaded cleanly: a sealed file unopened is not one."""
    monkeypatch.delenv("PERFLOOP_CACHE", raising=False)
    monkeypatch.setattr(engine, "_reader", None)
    engine.full(company, CYCLE)
    (company / DIR / reviews(company)[0]).write_bytes(b"junk\n")
    derived = derive(company)
    assert derived is not None
    monkeypatch.setenv("PERFLOOP_CACHE", "0")
    assert derived.file_count == engine.full(company, CYCLE).file_count


def test_with_a_key_the_check_is_full_and_stores_nothing_opened(
    sealed_demo: tuple[Path, Path], company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trusted gate's check (the org identity) and a reader's: nothing they opened, and
    no verdict computed with a key, is written to the cache; a keyless check that follows
    derives from the keyless verdict only."""
    keys = sealed_demo[1]
    monkeypatch.delenv("PERFLOOP_CACHE", raising=False)
    monkeypatch.setattr(reader, "_opened", False)  # this process's mark, restored after
    shutil.rmtree(cache_folder(company), ignore_errors=True)
    hr = hr_identity(keys, company)
    plaintexts = set()
    for rel in reviews(company)[:10]:
        opened = hr.open((company / DIR / rel).read_bytes())
        assert opened is not None
        for line in opened.decode().splitlines():
            value = line.split(":", 1)[-1].strip().strip("'\"")
            if len(value) >= 20:
                plaintexts.add(value)
    assert plaintexts
    org = age.load_identities(keys / "org.key")
    monkeypatch.setattr(engine, "_reader", Reader(org))
    (company / DIR / reviews(company)[0]).write_bytes(b"junk\n")
    repo = GitRepo(company)
    statuses = {c.path: c.status for c in repo.changed("HEAD")}
    with_key = engine.verdict(
        company, CYCLE, base=engine.Base(repo, repo.resolve("HEAD"), statuses)
    )
    assert with_key.data is not None and with_key.data.opened
    commit_all(company, "junk")
    engine.verdict(company, CYCLE)  # a `validate` with the key
    cached = b"".join(p.read_bytes() for p in Path(cache_folder(company)).rglob("*") if p.is_file())
    leaked = [text for text in plaintexts if text.encode() in cached]
    assert leaked == []
    assert not verdict.stored_any(company), "a verdict computed with a key was stored"


def armored(binary: bytes) -> bytes:
    import base64

    body = base64.b64encode(binary).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("\n".join([age.ARMOR_BEGIN, *lines, age.ARMOR_END]) + "\n").encode()


def test_a_key_that_opens_nothing_stores_no_verdict_a_keyless_check_reuses(
    sealed_demo: tuple[Path, Path], company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key among a file's recipients whose payload is damaged gets "cannot be opened",
    though it opens nothing: what it found is that key's, not the file's, so a keyless
    check must not derive from a verdict stored by that run."""
    import pyrage

    monkeypatch.delenv("PERFLOOP_CACHE", raising=False)
    monkeypatch.setattr(reader, "_opened", False)
    shutil.rmtree(cache_folder(company), ignore_errors=True)
    rel = reviews(company)[0]
    opened = hr_identity(sealed_demo[1], company).open((company / DIR / rel).read_bytes())
    assert opened is not None
    mine, public = age.generate_identity()
    from perfloop.sealing.files import recipients

    keys = recipients(keyless_model(company), rel[: -len(".age")])[1]
    keys[-1] = public  # as many keys, of the same kind: nothing a keyless check can see
    recipients = [pyrage.x25519.Recipient.from_str(k) for k in keys]  # the demo's: age keys
    binary = bytearray(pyrage.encrypt(opened, recipients))
    binary[-1] ^= 1  # the payload damaged, the header intact
    (company / DIR / rel).write_bytes(armored(bytes(binary)))
    commit_all(company, "A damaged payload")
    key_file = company.parent / "mine.key"
    key_file.write_text(mine)
    monkeypatch.setattr(engine, "_reader", Reader(age.load_identities(key_file)))
    with_key = [p.format() for p in engine.full(company, CYCLE).problems]
    assert any("cannot be opened" in p for p in with_key)
    monkeypatch.setattr(engine, "_reader", None)
    (company / DIR / reviews(company)[-1]).write_bytes(b"junk\n")  # a pull request's change
    derived = derive(company)
    keyless = full(company, monkeypatch)[0]
    assert not any("cannot be opened" in p for p in keyless)
    assert derived is None or [p.format() for p in derived.problems] == keyless


def test_a_stray_sealed_file_in_a_plain_cycle_is_never_recalled(
    sealed_demo: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain cycle with no plain confidential file yet and one sealed review: the keyless
    verdict is stored (nothing was opened), and the sealed file is in the listing by its
    blob id; a command that recalls the model must not build it without the file marked
    sealed (its subject's review section, the count of sealed files)."""
    from perfloop.speed import recall

    root = make_plain(tmp_path)
    sealed = next((sealed_demo[0] / DIR / "reviews").glob("*/*.yaml.age"))
    subject = next(p.name for p in sorted((root / DIR / "goals").glob("*.yaml")))[:-5]
    (root / DIR / "reviews" / subject).mkdir(parents=True)
    shutil.copy(sealed, root / DIR / "reviews" / subject / sealed.name)
    commit_all(root, "A sealed review in a plain cycle")
    monkeypatch.delenv("PERFLOOP_CACHE", raising=False)
    monkeypatch.setattr(engine, "_reader", None)
    engine.verdict(root, CYCLE)  # `validate`: the verdict stored
    recalled = recall.recall_cycle(root, CYCLE)
    assert recalled is None or recalled[0].unreadable
    # a check-in of the sealed review's subject: derived or not, what a full check finds
    goals = root / DIR / "goals" / f"{subject}.yaml"
    before = goals.read_text()
    goals.write_text(re.sub(r"current: [0-9.]+", "current: 0.5", before, count=1))
    assert goals.read_text() != before
    derived = derive(root)
    expected, scores, content = full(root, monkeypatch)
    if derived is not None:
        assert [p.format() for p in derived.problems] == expected
        kept = verdict.lookup(root, DIR, content)
        assert kept is not None and dict(kept.scores or {}) == scores


def make_plain(tmp_path: Path) -> Path:
    """A committed plain demo company of 40 people with no review or calibration file."""
    made = run_cli("demo", "plain", "--people", "40", "--seed", "3", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    root = tmp_path / "plain"
    for folder in ("reviews", "calibration"):
        shutil.rmtree(root / DIR / folder, ignore_errors=True)
    commit_all(root, "No reviews yet")
    return root


def test_rule_by_rule_a_derived_keyless_check_equals_a_full_one(
    sealed_demo: tuple[Path, Path], company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As tests/speed/test_reach.py does for plain files: each rule alone (with the scores a
    verdict holds), each change to a sealed file that is derived, derived == full."""
    from perfloop import rules
    from test_reach import scored

    monkeypatch.delenv("PERFLOOP_CACHE", raising=False)
    monkeypatch.setattr(engine, "_reader", None)
    cases = [(w, m) for w, derived, m in mutations(company, sealed_demo[1]) if derived]
    wrong = []
    for rule in list(rules.RULES):
        monkeypatch.setattr(rules, "RULES", [rule, scored])
        name = rule.__module__.rsplit(".", 1)[-1]
        shutil.rmtree(cache_folder(company), ignore_errors=True)  # the last rule's verdicts
        engine.full(company, CYCLE)
        for what, mutate in cases:
            mutate(company)
            derived = derive(company)
            if derived is None:
                wrong.append(f"{name}, {what}: not derived")
            elif [p.format() for p in derived.problems] != full(company, monkeypatch)[0]:
                wrong.append(f"{name}, {what}: derived check differs from a full check")
            subprocess.run(["git", "checkout", "-q", "--", "."], cwd=company, check=True)
            subprocess.run(["git", "clean", "-fdq", "--", DIR], cwd=company, check=True)
    assert wrong == [], "\n".join(wrong)
