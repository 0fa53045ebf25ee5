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
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..audio import Audio, read_wav, to_mono_16k, write_wav
from ..core.commands import Command, normalise
from ..core.errors import SettingsError
from ..settings import person_dir
from .endpoint import Endpointer, Timing, webrtc_vad
from .personal import PersonalRecognizer
from .stream import longest_utterance

OTHER = "other"  # the folder of takes that are no command
ROOM = "room"  # the room's own sound, among the others
TAKES_PER_WORD = 3
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
    """A word as a folder name: "go back" -> "go-back"."""
    return re.sub(r"[^a-z0-9']+", "-", normalise(word)).strip("-")


def word_of(folder: str) -> str:
    return folder.replace("-", " ")


def takes(root: Path | None = None) -> list[Take]:
    """Every take in the folder, in a stable order; files that are not WAV are passed over."""
    root = root or voice_dir()
    names = {c.value: c for c in Command}
    found: list[Take] = []
    if not root.is_dir():
        return found
    for label in sorted(p for p in root.iterdir() if p.is_dir()):
        if label.name != OTHER and label.name not in names:
            continue
        command = names.get(label.name)
        for word in sorted(p for p in label.iterdir() if p.is_dir()):
            found.extend(Take(command, word_of(word.name), f) for f in sorted(word.glob("*.wav"), key=_number))
    return found


def add(audio: Audio, command: Command | None, word: str, root: Path | None = None) -> Path:
    """Keep one take (converted to 16 kHz mono) under the next free number; returns its path.

    It is written whole under a hidden name, then linked to its number, which fails if the number
    is taken: a take is never read half written, nor written over by another session's."""
    name = folder_name(word)
    if not name:
        raise SettingsError(f"{word!r} has no letters or digits to say", "give the word as it is said")
    folder = (root or voice_dir()) / (command.value if command is not None else OTHER) / name
    part: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
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
    return Endpointer(webrtc_vad(follows_room=PersonalRecognizer.follows_room), TAKE_TIMING)


def remove(word: str, root: Path | None = None) -> list[Path]:
    """Delete every take of `word` (under any command); returns what was deleted."""
    name = folder_name(word)
    gone = [t.path for t in takes(root) if folder_name(t.word) == name]
    for path in gone:
        path.unlink()
    for folder in {p.parent for p in gone}:
        for empty in (folder, folder.parent):  # the word's folder, then its command's if nothing is left
            if not any(empty.iterdir()):
                empty.rmdir()
    return gone


def audio_of(take: Take) -> Audio:
    """A take's audio as 16 kHz mono (a file dropped in by hand may be anything WAV)."""
    try:
        return to_mono_16k(read_wav(take.path))
    except (OSError, EOFError, ValueError) as e:
        raise SettingsError(f"{take.path}: cannot read this recording ({e})",
                            "delete it, or record it again with 'crampvoice teach'") from None


def counts(found: Iterable[Take]) -> dict[tuple[Command | None, str], int]:
    """How many takes there are of each (command, word)."""
    out: dict[tuple[Command | None, str], int] = {}
    for take in found:
        out[take.command, take.word] = out.get((take.command, take.word), 0) + 1
    return out


def _number(path: Path) -> int:
    return int(path.stem) if path.stem.isdigit() else 0
