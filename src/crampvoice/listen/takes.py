"""A person's own recordings of their words ("takes"), kept as WAV files they can hear and delete.

    voice/next/okay/1.wav       a take of "okay", one of this person's words for next
    voice/next/next/2.wav       a take of the default word
    voice/other/weather/1.wav   words that are no command: what the recogniser must not act on
    voice/other/room/1.wav      the room's own sound

Everything is 16 kHz, 16-bit mono. The folder is the person's: the program adds takes when
asked to (`teach`, `words add`) and removes them only when asked to (`words remove`).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from ..audio import Audio, read_wav, to_mono_16k, write_wav
from ..core.commands import Command, normalise
from ..core.errors import SettingsError
from ..core.phrases import count
from ..core.printable import printable
from ..settings import data_dir, person_dir
from ..smallfile import private_folder
from .endpoint import Endpointer, Timing, endpointer_for
from .personal import PersonalRecognizer
from .stream import longest_utterance

OTHER = "other"  # the folder of takes that are no command
ROOM = "room"  # the room's own sound, among the others
TAKES_PER_WORD = 3
MAX_NAME = 200  # a word's folder name, in bytes: file systems take 255
MAX_TAKE_BYTES = 50_000_000  # ten minutes of CD audio: far more than a spoken word, far less than memory
TAKE_TIMING = Timing(longest_ms=4000)  # where a take starts and ends; it may be a phrase longer than a command


def voice_dir() -> Path:
    """Where the person's takes live ($XDG_DATA_HOME/crampvoice/voice on Linux)."""
    return person_dir() / "voice"


@dataclass(frozen=True, slots=True)
class Take:
    command: Command | None  # None: not a command
    word: str  # as said ("okay", "go back"); "room" for the room's sound
    path: Path


def folder_name(word: str) -> str:
    """A word as a folder name any file system takes, the word kept whole: "go back" -> "go-back",
    "café" -> "caf%C3%A9" (percent-encoded UTF-8, as in a web address)."""
    return quote(normalise(word).replace(" ", "-"), safe="'-")


def checked_name(word: str) -> str:
    """`word`'s folder name, or a SettingsError if it is no word a folder can be named after."""
    name = folder_name(word)
    if not name:
        raise SettingsError(f"{printable(word[:40])!r} has no letters or digits to say", "give the word as it is said")
    if len(name) > MAX_NAME:
        raise SettingsError(f"'{printable(word[:40])}…' is too long for a word ({len(word)} characters)",
                            "give a word or a short phrase, as it is said")
    return name


def word_of(folder: str) -> str:
    return unquote(folder).replace("-", " ")


def takes(root: Path | None = None) -> list[Take]:
    """Every take in the folder, in a stable order. Only regular files named like a take count: a
    folder, FIFO, device or broken link in their place is never opened (`read` names it)."""
    return [t for t in scan(root) if _is_file(t.path)]


@dataclass(frozen=True, slots=True)
class Unreadable:
    path: Path
    why: str


@dataclass(frozen=True, slots=True)
class Read:
    """The takes that could be read, each with its sound; and those that could not, with why."""

    audio: dict[Path, Audio]
    takes: list[Take]
    unreadable: list[Unreadable]

    def note(self, root: Path) -> str | None:
        """One sentence naming the takes passed over, or None."""
        if not self.unreadable:
            return None
        named = "; ".join(f"{printable(str(_relative(u.path, root)))} ({u.why})" for u in self.unreadable[:5])
        more = f"; and {len(self.unreadable) - 5} more" if len(self.unreadable) > 5 else ""
        them = "it" if len(self.unreadable) == 1 else "them"
        return (f"Passed over {count(len(self.unreadable), 'take')} that cannot be read as a recording: "
                f"{named}{more}. Play or delete {them} in {printable(str(root))}.")


def read(root: Path | None = None, of: Collection[Command | None] | None = None) -> Read:
    """Every take with its sound (16 kHz mono), or only those `of` these commands. One that cannot
    be read is passed over, never fatal: a stray file in the person's folder must not keep a
    session from starting."""
    audio: dict[Path, Audio] = {}
    good: list[Take] = []
    bad: list[Unreadable] = []
    for take in scan(root):
        if of is not None and take.command not in of:
            continue
        try:
            audio[take.path] = _sound(take.path)
            good.append(take)
        except ValueError as e:
            bad.append(Unreadable(take.path, str(e)))
    return Read(audio, good, bad)


def scan(root: Path | None = None) -> list[Take]:
    """Every entry named like a take (`N.wav`, of any kind) under a command's or `other`'s folder."""
    root = root or voice_dir()
    names = {c.value: c for c in Command}
    found: list[Take] = []
    for label in _folders(root):
        if label.name != OTHER and label.name not in names:
            continue
        command = names.get(label.name)
        for word in _folders(label):
            entries = [p for p in _entries(word) if p.suffix == ".wav" and not p.name.startswith(".")]
            found.extend(Take(command, word_of(word.name), p) for p in sorted(entries, key=_number))
    return found


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:  # gone, unreadable, or not a folder after all
        return []


def _folders(folder: Path) -> list[Path]:
    return [p for p in _entries(folder) if p.is_dir()]


def _is_file(path: Path) -> bool:
    """A regular file (through links); False for a FIFO, a device, a folder or a link that leads nowhere."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:  # missing, looping, or not ours to see
        return False


def _relative(path: Path, root: Path) -> Path:
    return path.relative_to(root) if path.is_relative_to(root) else path


def add(audio: Audio, command: Command | None, word: str, root: Path | None = None) -> Path:
    """Keep one take (converted to 16 kHz mono) under the next free number; returns its path.

    It is written whole under a hidden name, then linked to its number, which fails if the number
    is taken: a take is never read half written, nor written over by another session's."""
    name = checked_name(word)
    folder = (root or voice_dir()) / (command.value if command is not None else OTHER) / name
    part: Path | None = None
    try:
        private_folder(folder, data_dir())  # recordings of a person's voice: theirs alone, as the diary
        fd, part_name = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
        os.close(fd)
        part = Path(part_name)
        write_wav(part, to_mono_16k(audio))
        while True:
            path = folder / f"{max((_number(p) for p in folder.glob('*.wav')), default=0) + 1}.wav"
            try:
                os.link(part, path)
                return path
            except FileExistsError:
                continue  # another session kept a take under that number a moment ago
    except OSError as e:
        raise SettingsError(f"cannot keep the recording in {folder} ({e.strerror or e})",
                            "check that the folder can be written to") from None
    finally:
        if part is not None:
            part.unlink(missing_ok=True)


def spoken_part(audio: Audio) -> Audio | None:
    """The word in a recording, cut where the microphone path cuts an utterance (so a take is learnt
    from exactly what will be heard); None if there is no speech in it."""
    return longest_utterance(audio, take_endpointer())


def take_endpointer() -> Endpointer:
    """Where a take starts and ends: as the person's voice is heard, its detector too, but a take
    may be a phrase longer than a command."""
    return endpointer_for(PersonalRecognizer.follows_room, TAKE_TIMING)


def remove(word: str, root: Path | None = None) -> list[Path]:
    """Delete every take of `word` (under any command), readable or not; returns what was deleted.
    A folder left empty goes too; one holding anything else the person put there stays."""
    name = folder_name(word)
    gone = [t.path for t in scan(root) if folder_name(t.word) == name and not t.path.is_dir()]
    try:
        for path in gone:
            path.unlink()
        for folder in {p.parent for p in gone}:
            for empty in (folder, folder.parent):  # the word's folder, then its command's if nothing is left
                if not _entries(empty):
                    empty.rmdir()
    except OSError as e:
        raise SettingsError(f"cannot delete the takes of {word!r} ({e.strerror or e})",
                            f"check that {printable(str(root or voice_dir()))} can be written to") from None
    return gone


def _sound(path: Path) -> Audio:
    """A take's sound, or a ValueError saying why not. Only a regular file of a take's size is
    opened: a FIFO would wait for ever, and a film would fill the memory."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a file")
        if info.st_size > MAX_TAKE_BYTES:
            raise ValueError(f"{info.st_size // 1_000_000} MB, longer than any take")
        return to_mono_16k(read_wav(path))
    except OSError as e:
        raise ValueError(e.strerror or str(e)) from None


def counts(found: Iterable[Take]) -> dict[tuple[Command | None, str], int]:
    """How many takes there are of each (command, word)."""
    out: dict[tuple[Command | None, str], int] = {}
    for take in found:
        out[take.command, take.word] = out.get((take.command, take.word), 0) + 1
    return out


def _number(path: Path) -> int:
    return int(path.stem) if path.stem.isdigit() else 0
