"""The episode diary: every session's events in one SQLite file (mode 0600) in the person's data folder.

The diary is one more sink of the events a session already emits, beside `--events`: each event
is one small transaction that stores the event and brings its episode's row up to date (the row is
what the events add up to, so that a diary of thousands of episodes lists at once). WAL with full
sync: a killed process or a power cut loses at most the event in flight, and two sessions at once
both land whole. An episode whose `end` never came is unfinished.

A diary that cannot be used (damaged, from a newer crampvoice, read-only, a full disk) is never
written over: `DiaryError` says so in one sentence, and the session runs without it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from .core.errors import SettingsError
from .core.safety import WEEK_S, History, Span
from .core.yamlnodes import shown
from .settings import data_dir, person_dir
from .smallfile import narrow, private_folder, why

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 5000  # another session writing its event: wait this long for it (each takes ms)

# MIGRATIONS[n] takes a diary from schema version n to n + 1 (PRAGMA user_version), in one transaction.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE episodes (
        id INTEGER PRIMARY KEY,
        started REAL NOT NULL,               -- wall clock, seconds since 1970 UTC
        script TEXT NOT NULL DEFAULT '',     -- the script's name, e.g. calf
        title TEXT NOT NULL DEFAULT '',
        muscle TEXT NOT NULL DEFAULT '',
        relief INTEGER NOT NULL DEFAULT 1,   -- the script asks whether the cramp eases (not bedtime)
        length_s REAL NOT NULL DEFAULT 0,    -- up to its last event
        reason TEXT,                         -- completed, stopped, interrupted; NULL: unfinished
        step INTEGER NOT NULL DEFAULT 0,     -- the furthest step reached
        steps INTEGER NOT NULL DEFAULT 0,
        eased TEXT NOT NULL DEFAULT '',      -- the person's last answer: yes, no, or '' (none given)
        commands TEXT NOT NULL DEFAULT '',   -- 'next:voice pause:key ...' in order
        unheard INTEGER NOT NULL DEFAULT 0,  -- utterances the recogniser did not take as commands
        advised TEXT NOT NULL DEFAULT '',    -- the rules met when "see a doctor" was said
        advised_at REAL                      -- wall clock, when it was said
    );
    CREATE INDEX episodes_started ON episodes (started);
    CREATE TABLE events (
        episode INTEGER NOT NULL REFERENCES episodes (id),
        n INTEGER NOT NULL,                  -- 0, 1, 2, ... within the episode
        t REAL NOT NULL,                     -- seconds since the session began (monotonic)
        type TEXT NOT NULL,
        fields TEXT NOT NULL,                -- the event's other fields, as JSON
        PRIMARY KEY (episode, n)
    ) WITHOUT ROWID;
    """,
)


def diary_path() -> Path:
    """The selected profile's diary: each person's episodes are their own."""
    return person_dir() / "diary.sqlite3"


class DiaryError(SettingsError):
    """The diary cannot be used; the message is one sentence, the hint says where a fresh one would go."""


@dataclass(frozen=True, slots=True)
class Episode:
    """One session as the diary holds it."""

    id: int
    started: float  # wall clock, seconds since 1970 UTC
    length_s: float
    script: str
    title: str
    muscle: str
    relief: bool
    ended: str  # completed, stopped, interrupted, or unfinished (killed, or still running)
    step: int
    steps: int
    eased: str  # yes, no, or "" when nobody answered
    commands: str
    unheard: int
    advised: str


_COLUMNS = ("id, started, length_s, script, title, muscle, relief, reason, step, steps, eased, commands, unheard, "
            "advised")


def _episode(row: tuple[object, ...]) -> Episode:
    i, started, length, script, title, muscle, relief, reason, step, steps, eased, commands, unheard, advised = row
    return Episode(int(str(i)), float(str(started)), float(str(length)), str(script), str(title), str(muscle),
                   bool(relief), str(reason) if reason is not None else "unfinished", int(str(step)),
                   int(str(steps)), str(eased), str(commands), int(str(unheard)), str(advised))


def _fresh_hint(path: Path) -> str:
    return (f"it is left exactly as it is; to start a fresh diary, move it away, and a new one will be made at "
            f"{path}")


@contextmanager
def _errors(path: Path, doing: str) -> Iterator[None]:
    """SQLite's and the system's errors as one plain sentence about the diary."""
    try:
        yield
    except sqlite3.DatabaseError as e:
        text = str(e)
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            raise DiaryError(f"the diary {path} is damaged or is not a diary ({text})", _fresh_hint(path)) from None
        if "readonly" in text or "read-only" in text:
            raise DiaryError(f"the diary {path} cannot be written ({text})",
                             "make it and its folder writable again; nothing in it was changed") from None
        if "full" in text:
            raise DiaryError(f"the disk holding the diary {path} is full",
                             "free some space; what was written before is kept") from None
        if "unable to open" in text:
            raise DiaryError(f"the diary {path} cannot be {doing} ({text})", _access_hint(doing)) from None
        raise DiaryError(f"the diary {path} cannot be {doing} ({text})", _fresh_hint(path)) from None
    except OSError as e:
        raise DiaryError(f"the diary {path} cannot be {doing} ({why(e)})", _access_hint(doing)) from None


def _access_hint(doing: str) -> str:
    can = "read" if doing == "read" else "read and written"
    return f"check that it and its folder can be {can}; nothing in it was changed"


def _create(path: Path) -> None:
    """The file exists, a regular file of mode 0600 (created so, never widened by the umask), in a
    private folder."""
    private_folder(path.parent, data_dir())
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        os.close(fd)
    except FileExistsError:  # the usual case; or another session made it a moment ago
        pass
    _regular(path)


def _regular(path: Path) -> None:
    """DiaryError unless `path` is a regular file; narrowed to its owner if it was wider."""
    if path.is_dir():
        raise DiaryError(f"the diary {path} is a folder, not a file",
                         f"move that folder away (nothing in it is touched); a new diary will be made at {path}")
    if os.path.exists(path) and not path.is_file():
        raise DiaryError(f"the diary {path} is a pipe, device or socket, not a file", _fresh_hint(path))
    narrow(path)  # health data: never readable by others, whoever widened it
    private_folder(path.parent, data_dir())


def _connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """A connection to a diary, or to a file that is still empty; DiaryError for any other database.

    Read only in a folder that cannot be written, SQLite cannot make the files it reads a diary
    with; as no one can be writing it there, it is read as it stands (immutable).
    """
    try:
        return _checked(path, _open_uri(path, "ro" if readonly else "rw"))
    except sqlite3.OperationalError as e:
        if not readonly or "unable to open" not in str(e) or os.access(path.parent, os.W_OK):
            raise
    return _checked(path, _open_uri(path, "ro&immutable=1"))


def _open_uri(path: Path, mode: str) -> sqlite3.Connection:
    # never "rwc": SQLite does not create the file with the umask's mode
    return sqlite3.connect(f"file:{quote(str(path))}?mode={mode}", uri=True, isolation_level=None,
                           timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)


def _checked(path: Path, conn: sqlite3.Connection) -> sqlite3.Connection:
    try:
        conn.execute("BEGIN")  # both read at one instant, when another session may be making the diary
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        conn.execute("COMMIT")
    except BaseException:
        conn.close()
        raise
    if version > SCHEMA_VERSION:
        conn.close()
        raise DiaryError(f"the diary {path} was written by a newer crampvoice (diary version {version}; this one "
                         f"reads up to {SCHEMA_VERSION})", "update crampvoice to read it; " + _fresh_hint(path))
    if (tables if version == 0 else not {"episodes", "events"} <= tables):
        conn.close()
        raise DiaryError(f"{path} is a database, but not a crampvoice diary (its tables: "
                         f"{shown(', '.join(sorted(tables)) or 'none')})",
                         f"it is left exactly as it is; move it away, and a new diary will be made at {path}")
    return conn


def _statements(script: str) -> Iterator[str]:
    """One statement at a time (executescript would commit the migration's transaction half way)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer
            buffer = ""


def _into_wal(conn: sqlite3.Connection) -> None:
    """Write-ahead logging, set once in the file and kept.

    Two sessions making a new diary at once can both want the file's lock for the switch; SQLite then
    answers one of them "locked" at once, without waiting (it never waits where waiting could deadlock).
    That one lets go, waits its turn and asks again, for as long as any other write may wait.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if e.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _migrate(conn: sqlite3.Connection) -> None:
    _into_wal(conn)
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        for n in range(version, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[n]):
                conn.execute(statement)
        if version < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


class Diary:
    """An open diary: reading episodes, the history the safety rules need, erasing, and new episodes."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn

    @classmethod
    def open(cls, path: Path | None = None) -> Diary:
        """Open for writing, made (mode 0600) and brought to this schema version if need be."""
        path = path or diary_path()
        with _errors(path, "opened"):
            _create(path)
            conn = _connect(path)
            try:
                _migrate(conn)
            except BaseException:
                conn.close()
                raise
        return cls(path, conn)

    @classmethod
    def read(cls, path: Path | None = None) -> Diary | None:
        """Open for reading only; None when there is no diary yet (no file, or one still empty)."""
        path = path or diary_path()
        if not os.path.lexists(path):
            return None
        with _errors(path, "read"):
            _regular(path)
            conn = _connect(path, readonly=True)
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version == SCHEMA_VERSION:
                return cls(path, conn)  # also when the file is read-only
            conn.close()
        return None if version == 0 else cls.open(path)  # an older diary: brought up to date first

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Diary:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def episodes(self, since: float | None = None, limit: int | None = None) -> list[Episode]:
        """Newest first."""
        sql = f"SELECT {_COLUMNS} FROM episodes WHERE started >= ? ORDER BY started DESC, id DESC"
        args: list[object] = [since if since is not None else float("-inf")]
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with _errors(self.path, "read"):
            return [_episode(row) for row in self._conn.execute(sql, args)]

    def events(self, episode: int) -> list[dict[str, object]]:
        with _errors(self.path, "read"):
            rows = self._conn.execute("SELECT t, type, fields FROM events WHERE episode = ? ORDER BY n", (episode,))
            return [{"t": t, "type": type_, **json.loads(fields)} for t, type_, fields in rows]

    def history(self, now: float) -> History:
        """Earlier relief episodes of the last week, in seconds before `now` (wall clock), for the safety rules."""
        with _errors(self.path, "read"):
            rows = self._conn.execute("SELECT started, length_s FROM episodes WHERE relief AND started > ?",
                                      (now - WEEK_S,)).fetchall()
            advised = self._conn.execute("SELECT max(advised_at) FROM episodes").fetchone()[0]
            any_before = self._conn.execute("SELECT 1 FROM episodes LIMIT 1").fetchone() is not None
        return History(tuple(Span(started - now, length) for started, length in rows),
                       None if advised is None else float(advised) - now, first_session=not any_before)

    def forget(self, before: float | None = None) -> int:
        """Erase every episode (or those begun before `before`), overwriting their pages; how many went."""
        where, args = ("WHERE started < ?", (before,)) if before is not None else ("", ())
        with _errors(self.path, "written"):
            self._conn.execute("PRAGMA secure_delete=ON")  # erased means gone from the file, not just unlinked
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                ids = f"SELECT id FROM episodes {where}"
                self._conn.execute(f"DELETE FROM events WHERE episode IN ({ids})", args)
                count = self._conn.execute(f"DELETE FROM episodes {where}", args).rowcount
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # and gone from the write-ahead log
        return count

    def begin(self, started_at: float, notify: Callable[[str], None], wall: float | None = None) -> DiarySink:
        """A sink for one new session's events; `started_at` is its monotonic start, as EventLog's."""
        return DiarySink(self, started_at, round(time.time() if wall is None else wall, 3), notify)

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn


@dataclass
class _Tally:
    """What an episode's events add up to, kept up to date event by event."""

    length_s: float = 0.0
    reason: str | None = None
    step: int = 0
    steps: int = 0
    eased: str = ""
    commands: list[str] = field(default_factory=list)
    unheard: int = 0
    advised: str = ""
    advised_at: float | None = None

    def add(self, type_: str, t: float, fields: dict[str, object], wall: float) -> None:
        self.length_s = max(self.length_s, t)
        if type_ == "start":
            self.steps = int(str(fields.get("steps", 0)))
        elif type_ == "step":
            self.step = max(self.step, int(str(fields.get("index", 0))))
        elif type_ == "answer" and fields.get("given"):
            self.eased = str(fields.get("answer", ""))
        elif type_ == "command":
            self.commands.append(f"{fields.get('command')}:{fields.get('by')}")
        elif type_ == "unheard":
            self.unheard += 1
        elif type_ == "advice":
            rules = fields.get("rules", [])
            self.advised = " ".join(str(r) for r in rules) if isinstance(rules, list) else str(rules)
            self.advised_at = wall + t
        elif type_ == "end":
            self.reason = str(fields.get("reason", ""))


class DiarySink:
    """One session's events into the diary, each in its own transaction.

    Writes until the diary fails (a full disk, the file taken away); then says so once, through
    `notify`, and the session goes on without it, as `EventLog` does.
    """

    def __init__(self, diary: Diary, started_at: float, wall: float, notify: Callable[[str], None]) -> None:
        self.diary = diary
        self.started_at = started_at
        self.wall = wall
        self.episode: int | None = None
        self._notify = notify
        self._failed = False
        self._n = 0
        self._tally = _Tally()

    def write(self, type_: str, at: float, **fields: object) -> None:
        if self._failed:
            return
        t = round(at - self.started_at, 4)
        self._tally.add(type_, t, fields, self.wall)
        conn = self.diary.connection
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if self.episode is None:
                    self.episode = self._new_episode(conn, fields if type_ == "start" else {})
                conn.execute("INSERT INTO events (episode, n, t, type, fields) VALUES (?, ?, ?, ?, ?)",
                             (self.episode, self._n, t, type_, json.dumps(fields, ensure_ascii=False)))
                tally = self._tally
                conn.execute("UPDATE episodes SET length_s = ?, reason = ?, step = ?, steps = ?, eased = ?, "
                             "commands = ?, unheard = ?, advised = ?, advised_at = ? WHERE id = ?",
                             (tally.length_s, tally.reason, tally.step, tally.steps, tally.eased,
                              " ".join(tally.commands), tally.unheard, tally.advised, tally.advised_at,
                              self.episode))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            self._failed = True
            reason = "the disk is full" if "full" in str(e) else str(e)
            self._notify(f"The diary can no longer be written ({reason}); the session goes on without it, "
                         f"and what was written before is kept in {self.diary.path}.")
            return
        self._n += 1

    def _new_episode(self, conn: sqlite3.Connection, start: dict[str, object]) -> int:
        cursor = conn.execute("INSERT INTO episodes (started, script, title, muscle, relief) VALUES (?, ?, ?, ?, ?)",
                              (self.wall, str(start.get("script", "")), str(start.get("title", "")),
                               str(start.get("muscle", "")), bool(start.get("relief", True))))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

