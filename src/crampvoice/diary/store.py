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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..core.safety import WEEK_S, History, Span
from ..settings import person_dir
from .file import SCHEMA_VERSION, DiaryError, connect, create, errors, migrate, regular

__all__ = ["SCHEMA_VERSION", "Diary", "DiaryError", "DiarySink", "Episode", "diary_path"]  # with the file's


def diary_path() -> Path:
    """The selected profile's diary: each person's episodes are their own."""
    return person_dir() / "diary.sqlite3"


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


class Diary:
    """An open diary: reading episodes, the history the safety rules need, erasing, and new episodes."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn

    @classmethod
    def open(cls, path: Path | None = None) -> Diary:
        """Open for writing, made (mode 0600) and brought to this schema version if need be."""
        path = path or diary_path()
        with errors(path, "opened"):
            create(path)
            conn = connect(path)
            try:
                migrate(conn)
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
        with errors(path, "read"):
            regular(path)
            conn = connect(path, readonly=True)
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
        with errors(self.path, "read"):
            return [_episode(row) for row in self._conn.execute(sql, args)]

    def events(self, episode: int) -> list[dict[str, object]]:
        with errors(self.path, "read"):
            rows = self._conn.execute("SELECT t, type, fields FROM events WHERE episode = ? ORDER BY n", (episode,))
            return [{"t": t, "type": type_, **json.loads(fields)} for t, type_, fields in rows]

    def history(self, now: float, excluding: int | None = None) -> History:
        """Relief episodes of the last week but `excluding` (a session's own), in seconds before `now`
        (wall clock), for the safety rules; sessions still running count with their length so far."""
        with errors(self.path, "read"):
            rows = self._conn.execute("SELECT started, length_s FROM episodes WHERE relief AND started > ? "
                                      "AND id IS NOT ?", (now - WEEK_S, excluding)).fetchall()
            advised = self._conn.execute("SELECT max(advised_at) FROM episodes").fetchone()[0]
            any_before = self._conn.execute("SELECT 1 FROM episodes LIMIT 1").fetchone() is not None
        return History(tuple(Span(started - now, length) for started, length in rows),
                       None if advised is None else float(advised) - now, first_session=not any_before)

    def forget(self, before: float | None = None) -> int:
        """Erase every episode (or those begun before `before`), overwriting their pages; how many went."""
        where, args = ("WHERE started < ?", (before,)) if before is not None else ("", ())
        with errors(self.path, "written"):
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

