"""write_atomically: complete or absent, with the right mode, without touching the umask (issue 14)."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import engine.files
from engine.files import STALE_AFTER, temporary_name, write_atomically
from nn import MLP, load, save

PATTERN = re.compile(r"^\.(?P<stem>.*)\.chainrule-tmp-[0-9a-f]{8}(?P<suffix>\.json)?$")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)  # the test's own setting; the code under test must never call umask
    yield
    os.umask(old)


def record_umask(monkeypatch) -> list[int]:
    """Replace os.umask by a recorder: the masks the code under test sets (it must set none)."""
    calls: list[int] = []
    real = os.umask

    def recording(mask: int) -> int:
        calls.append(mask)
        return real(mask)

    monkeypatch.setattr(os, "umask", recording)
    return calls


@pytest.fixture
def umask_untouched(monkeypatch):
    calls = record_umask(monkeypatch)
    yield calls
    assert calls == [], "write_atomically changed the process-wide umask"


def test_a_private_model_file_stays_private_after_a_save(tmp_path, umask_022, umask_untouched):
    path = tmp_path / "model.json"
    save(MLP(2, [1], seed=0), path)
    path.chmod(0o600)
    save(MLP(2, [1], seed=1), path)
    assert mode(path) == 0o600
    assert load(MLP(2, [1], seed=5), path).state_dict() == MLP(2, [1], seed=1).state_dict()


def test_an_unusual_mode_of_the_target_is_kept_too(tmp_path, umask_022, umask_untouched):
    path = tmp_path / "notes.txt"
    path.write_text("old")
    path.chmod(0o640)
    write_atomically(path, lambda tmp: Path(tmp).write_text("new"))
    assert mode(path) == 0o640 and path.read_text() == "new"


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_mode_a_plain_open_gives(tmp_path, mask, monkeypatch):
    old = os.umask(mask)
    try:
        calls = record_umask(monkeypatch)
        with open(tmp_path / "plain.txt", "w") as f:
            f.write("x")
        write_atomically(tmp_path / "atomic.txt", lambda tmp: Path(tmp).write_text("x"))
        assert calls == []
    finally:
        monkeypatch.undo()
        os.umask(old)
    assert mode(tmp_path / "atomic.txt") == mode(tmp_path / "plain.txt") == 0o666 & ~mask


def test_threads_writing_while_another_creates_files_never_see_a_0666_file(tmp_path, umask_022, umask_untouched):
    # The old code set the umask to 0 and back around each write; a file created by another thread
    # in between got 0666. The recorder makes that failure certain rather than a matter of timing:
    # any umask call at all fails the test; the modes check the outcome as a user sees it.
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    errors: list[str] = []

    def writer(k: int) -> None:
        try:
            for i in range(40):
                write_atomically(tmp_path / f"w{k}.txt", lambda tmp, i=i: Path(tmp).write_text(str(i)))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(repr(error))

    def creator() -> None:
        for i in range(200):
            with open(tmp_path / f"plain{i}.txt", "w") as f:
                f.write("x")

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)] + [threading.Thread(target=creator)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old_interval)
    assert errors == [] and umask_untouched == []
    modes = {path.name: mode(path) for path in tmp_path.iterdir()}
    assert len(modes) == 204 and set(modes.values()) == {0o644}, {n: oct(m) for n, m in modes.items() if m != 0o644}
    assert all((tmp_path / f"w{k}.txt").read_text() == "39" for k in range(4))


def test_a_250_character_target_name_is_written(tmp_path):
    path = tmp_path / ("m" * 245 + ".json")
    assert len(path.name) == 250
    seen = []
    write_atomically(path, lambda tmp: (seen.append(Path(tmp).name), Path(tmp).write_text("{}")))
    assert path.read_text() == "{}" and os.listdir(tmp_path) == [path.name]
    assert len(os.fsencode(seen[0])) <= 255 and PATTERN.match(seen[0])


def test_a_255_byte_name_of_multibyte_characters_is_written_and_cut_between_characters(tmp_path):
    path = tmp_path / ("é" * 125 + ".json")  # 250 + 5 bytes: the longest name the file system allows
    assert len(os.fsencode(path.name)) == 255
    save(MLP(2, [1], seed=0), path)
    assert os.listdir(tmp_path) == [path.name]
    name = temporary_name(path, "0123abcd")
    assert len(os.fsencode(name)) <= 255 and name.endswith(".chainrule-tmp-0123abcd.json")
    assert name.startswith(".é") and set(name[1 : name.index(".chainrule")]) == {"é"}


def test_the_temporary_name_is_unmistakable_and_kept_beside_the_target(tmp_path):
    seen = []
    save_to = tmp_path / "model.json"
    write_atomically(save_to, lambda tmp: (seen.append(tmp), Path(tmp).write_text("{}")))
    assert Path(seen[0]).parent == tmp_path
    match = PATTERN.match(Path(seen[0]).name)
    assert match and match["stem"] == "model" and match["suffix"] == ".json"


def test_the_folder_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(source, target) -> None:
        events.append("rename")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_atomically(tmp_path / "a.txt", lambda tmp: Path(tmp).write_text("x"))
    assert events == ["fsync file", "rename", "fsync folder"]


def make_leftover(folder: Path, target: str, tag: str, age: float) -> Path:
    path = folder / temporary_name(folder / target, tag)
    path.write_text("half a file")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_the_next_write_removes_leftovers_of_the_same_target_older_than_a_minute(tmp_path):
    old = make_leftover(tmp_path, "model.json", "0123abcd", STALE_AFTER + 60)
    fresh = make_leftover(tmp_path, "model.json", "4567abcd", 5)  # perhaps a writer that just began
    other = make_leftover(tmp_path, "other.json", "89abcdef", STALE_AFTER + 60)  # another target's
    lookalike = tmp_path / ".model.chainrule-tmp-notmine.json"  # not 8 hex digits: not ours
    lookalike.write_text("keep")
    os.utime(lookalike, (0, 0))
    save(MLP(2, [1], seed=0), tmp_path / "model.json")
    assert not old.exists()
    assert fresh.exists() and other.exists() and lookalike.exists()


def test_an_old_temporary_that_a_running_writer_holds_is_not_removed(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    held = make_leftover(tmp_path, "model.json", "0123abcd", STALE_AFTER + 60)
    fd = os.open(held, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a slow writer in another process holds its temporary
        save(MLP(2, [1], seed=0), tmp_path / "model.json")
        assert held.exists()
    finally:
        os.close(fd)


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from engine.files import write_atomically

def write(temporary):
    Path(temporary).write_text("half")
    print(temporary, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

write_atomically(sys.argv[1], write)
"""


def test_a_writer_killed_outright_leaves_the_old_file_and_a_leftover_the_next_write_cleans(tmp_path):
    path = tmp_path / "model.json"
    save(MLP(2, [1], seed=0), path)
    before = path.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(Path(engine.files.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(path)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    leftover = Path(done.stdout.strip())
    assert path.read_bytes() == before  # the old file, whole
    assert sorted(os.listdir(tmp_path)) == sorted(["model.json", leftover.name]) and PATTERN.match(leftover.name)
    then = time.time() - STALE_AFTER - 1
    os.utime(leftover, (then, then))  # a minute later
    save(MLP(2, [1], seed=1), path)
    assert os.listdir(tmp_path) == ["model.json"]


def test_a_failing_write_leaves_nothing_and_the_old_file_intact(tmp_path, umask_untouched):
    path = tmp_path / "a.txt"
    path.write_text("old")

    def fail(tmp: str) -> None:
        Path(tmp).write_text("half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        write_atomically(path, fail)
    assert os.listdir(tmp_path) == ["a.txt"] and path.read_text() == "old"
