"""A batch cut off by its database answers every file the database recorded, and names the rest
(SPEC §4.1: ``submit`` answers each file as soon as it is recorded or rejected).

A real ``danvan submit`` process works through 40 files on a private PostgreSQL cluster
(tests/helpers/pgcluster.py); once it has printed a few answers — streamed while the batch is
still running, not at its end — the test stops the server (fast shutdown: every session cut at
once). The cluster's database is made slow on purpose (a trigger sleeps 0,1 s per recorded
file, as a loaded server might): set-wise intake records 40 files in a few milliseconds, so
without it the batch could end before the stop took effect. Then, with the server started again: every file recorded has had its answer, every other
file is named ``[not_reached]``, and sending those again is safe.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from danvan.models.db import get_engine, reading
from danvan.models.tables import Submission
from tests.helpers.db import use_database
from tests.helpers.pgcluster import Cluster, private_cluster
from tests.helpers.province import YEAR, issue_small_cycle
from tests.helpers.together import child_env, start

pytestmark = [pytest.mark.concurrency, pytest.mark.postgres]

FILES = 40
ANSWERS_BEFORE_STOP = 4
AT = "2024-11-08T10:00"
UNITS = ("TST.SNV", "TST.H01", "TST.H01.PNV", "TST.H01.X01", "TST.H01.X02")


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    with private_cluster() as c:
        use_database(c.url, monkeypatch)
        from danvan.models import db
        from danvan.models.schema import upgrade

        upgrade(get_engine())
        issue_small_cycle(tmp_path)
        _slow_down(c.url)
        try:
            yield c
        finally:
            engine = db._engines.pop(c.url, None)
            if engine is not None:
                engine.dispose()


def _slow_down(url: str) -> None:
    """Each recorded file costs the server 0,1 s (see the module's docstring)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE FUNCTION slow_submission() RETURNS trigger AS $$ BEGIN "
            "PERFORM pg_sleep(0.1); RETURN NEW; END $$ LANGUAGE plpgsql"
        ))  # fmt: skip
        conn.execute(sa.text(
            "CREATE TRIGGER slow_submission BEFORE INSERT ON submission "
            "FOR EACH ROW EXECUTE FUNCTION slow_submission()"
        ))  # fmt: skip
    engine.dispose()


def _batch(folder: Path) -> list[Path]:
    """40 files, each a new version of one of five units (distinct content, distinct names)."""
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(FILES):
        unit = UNITS[i % len(UNITS)]
        doc = {"unit": unit, "year": YEAR, "submitted_by": f"Người thử {i}",
               "scores": {"1": 10 + i, "2": 40}, "figures": {}}  # fmt: skip
        path = folder / f"{i:02d}-{unit}.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
        paths.append(path)
    return paths


def _cut_midway(cluster: Cluster, argv: list[str], workdir: Path) -> tuple[int, list[str], str]:
    """Run ``danvan argv``; stop the server once it has printed a few answers (read live)."""
    (proc,) = start([argv], env=child_env(cluster.url), workdir=workdir)
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:  # the answers as the process prints them, batch still running
        lines.append(line)
        if len(_answered(lines)) >= ANSWERS_BEFORE_STOP:
            cluster.stop("fast")
            break
    # The rest through the same file object (stderr drained beside it): ``communicate`` reads
    # the pipe's descriptor and would lose the lines already in the object's buffer — a chunk's
    # answers arrive in one read, and the loop above stops in the middle of them.
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.append(proc.stderr.read()))  # type: ignore[union-attr]
    drain.start()
    rest = proc.stdout.read()
    drain.join(timeout=120)
    proc.wait(timeout=120)
    stderr = "".join(errors)
    assert cluster.data.exists() and not cluster.running(), "the batch ended before the stop"
    return proc.returncode, lines + rest.splitlines(keepends=True), stderr


def _answered(lines: list[str]) -> list[str]:
    """The files answered "accepted", from text lines or JSON lines (``--format jsonl``)."""
    found = []
    for line in lines:
        if line.startswith("{"):
            doc = json.loads(line)
            if doc.get("accepted"):
                found.append(Path(doc["file"]).name)
        elif m := re.match(r"(\S+): ĐÃ NHẬN ", line):
            found.append(Path(m.group(1)).name)
    return found


def _not_reached(stderr: str) -> list[str]:
    _, _, listed = stderr.partition("[not_reached]")
    assert listed, stderr
    return [Path(line.strip()[2:]).name for line in listed.splitlines() if line.startswith("  - ")]


def _recorded() -> dict[str, int]:
    with reading(get_engine()) as session:
        rows = session.exec(select(Submission.file_name, Submission.version)).all()
    return dict(rows)


def _check(answered: list[str], left: list[str], names: list[str]) -> dict[str, int]:
    """Every file answered or named, once; every recorded file answered. Returns what was
    recorded. Only the files of the chunk whose COMMIT was on the wire when the server went
    away (``tasks.intake.CHUNK`` at most) may be recorded without an answer: they are the first
    named, and sending them again (below) answers "received before"."""
    from danvan.tasks.intake import CHUNK

    assert ANSWERS_BEFORE_STOP <= len(answered) < len(names)
    assert sorted(answered + left) == sorted(names)  # each file: an answer, or named
    assert answered == names[: len(answered)] and left == names[len(answered) :]  # in order
    cluster_recorded = _recorded()
    assert set(answered) <= set(cluster_recorded)  # an answer "accepted" is in the database
    unanswered = set(cluster_recorded) - set(answered)
    assert unanswered == set(left[: len(unanswered)]) and len(unanswered) <= CHUNK, unanswered
    return cluster_recorded


@pytest.mark.parametrize("fmt", ["text", "jsonl"])
def test_a_batch_cut_off_has_answered_every_file_it_recorded(
    cluster: Cluster, tmp_path: Path, cli, fmt: str
) -> None:  # type: ignore[no-untyped-def]
    paths = _batch(tmp_path / "lo")
    argv = ["submit", *map(str, paths), "--at", AT, "--format", fmt]
    code, out, stderr = _cut_midway(cluster, argv, tmp_path)
    assert code == 1
    assert "[db_unavailable]" in stderr and "Traceback" not in stderr
    answered, left = _answered(out), _not_reached(stderr)
    if fmt == "jsonl":  # every line JSON; the last one names what was not reached, and why
        last = json.loads(out[-1])
        assert [Path(n).name for n in last["not_reached"]] == left
        assert last["error"]["code"] == "db_unavailable"
    cluster.start()
    names = [p.name for p in paths]
    _check(answered, left, names)

    # Sending the files not reached again is safe: nothing is recorded twice, and the batch
    # ends with every file recorded once (its version numbers 1..N per unit, no gap).
    again = cli("submit", *[tmp_path / "lo" / n for n in left], "--at", AT, "--format", "jsonl")
    assert again.exit_code == 0, again.stderr
    docs = [json.loads(line) for line in again.stdout.splitlines()]
    assert [Path(d["file"]).name for d in docs] == left and all(d["accepted"] for d in docs)
    recorded = _recorded()
    assert sorted(recorded) == sorted(names)
    for unit in UNITS:
        mine = sorted(v for n, v in recorded.items() if n.endswith(f"-{unit}.yaml"))
        assert mine == list(range(1, len(mine) + 1))


def test_an_inbox_cut_off_has_filed_every_file_it_recorded(
    cluster: Cluster, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    inbox = tmp_path / "hop-thu"
    names = [p.name for p in _batch(inbox)]
    code, out, stderr = _cut_midway(
        cluster, ["submit", "--inbox", str(inbox), "--at", AT], tmp_path
    )
    assert code == 1
    assert "[db_unavailable]" in stderr and "Traceback" not in stderr
    answered, left = _answered(out), _not_reached(stderr)
    cluster.start()
    _check(answered, left, names)
    # each answered file filed with its answer beside it; the others back in the inbox
    for name in answered:
        txt = (inbox / "accepted" / f"{name}.txt").read_text("utf-8")
        assert "ĐÃ NHẬN" in txt and (inbox / "accepted" / name).exists()
    assert sorted(p.name for p in inbox.glob("*.yaml")) == sorted(left)
    assert not any((inbox / "processing").iterdir())

    # the next run takes exactly the files left, each once
    r = cli("submit", "--inbox", inbox, "--at", AT, "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert sorted(f["file"] for f in r.json()["files"]) == sorted(left)
    assert sorted(_recorded()) == sorted(names)
