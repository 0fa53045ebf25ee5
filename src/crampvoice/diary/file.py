"""The diary's file: made private, taken only when it is a diary (or still empty), opened read-only
or for writing, and brought to this schema version; SQLite's and the system's errors as one sentence."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from ..core.errors import SettingsError
from ..core.yamlnodes import shown
from ..settings import data_dir
from ..smallfile import narrow, private_folder, why

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


class DiaryError(SettingsError):
    """The diary cannot be used; the message is one sentence, the hint says where a fresh one would go."""


def _fresh_hint(path: Path) -> str:
    return (f"it is left exactly as it is; to start a fresh diary, move it away, and a new one will be made at "
            f"{path}")


@contextmanager
def errors(path: Path, doing: str) -> Iterator[None]:
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


def create(path: Path) -> None:
    """The file exists, a regular file of mode 0600 (created so, never widened by the umask), in a
    private folder."""
    private_folder(path.parent, data_dir())
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        os.close(fd)
    except FileExistsError:  # the usual case; or another session made it a moment ago
        pass
    regular(path)


def regular(path: Path) -> None:
    """DiaryError unless `path` is a regular file; narrowed to its owner if it was wider."""
    if path.is_dir():
        raise DiaryError(f"the diary {path} is a folder, not a file",
                         f"move that folder away (nothing in it is touched); a new diary will be made at {path}")
    if os.path.exists(path) and not path.is_file():
        raise DiaryError(f"the diary {path} is a pipe, device or socket, not a file", _fresh_hint(path))
    narrow(path)  # health data: never readable by others, whoever widened it
    private_folder(path.parent, data_dir())


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
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


def migrate(conn: sqlite3.Connection) -> None:
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
