"""The last few utterances a session heard and did not act on, kept so that a caregiver can
listen to them and teach one as a word (`crampvoice words add okay --as next FILE`).

    unheard/20261123-021502-1-okay.wav   when it was heard, and the recogniser's best guess

Only the newest `KEEP` are kept, in the person's own data folder (private: 0700); older ones
are deleted as new ones come, and `crampvoice words unheard --clear` deletes them all.
"""

from __future__ import annotations

import datetime
import stat
from dataclasses import dataclass
from pathlib import Path

from ..audio import Audio, read_wav, write_wav
from ..settings import data_dir, person_dir
from ..smallfile import private_folder
from .takes import folder_name, word_of

KEEP = 20


def unheard_dir() -> Path:
    return person_dir() / "unheard"


@dataclass(frozen=True, slots=True)
class Clip:
    path: Path
    heard_at: datetime.datetime
    guess: str
    seconds: float


def keep(utterance: Audio, guess: str, root: Path | None = None) -> Path:
    """Keep one utterance and drop the oldest beyond `KEEP`; OSError if the folder cannot be written."""
    folder = root or unheard_dir()
    private_folder(folder, data_dir())
    now = datetime.datetime.now().replace(microsecond=0)
    this_second = [named[1] for p in folder.glob("*.wav") if (named := _named(p)) is not None and named[0] == now]
    number = 1 + max(this_second, default=0)
    path = folder / ("-".join(filter(None, [f"{now:%Y%m%d-%H%M%S}", str(number), folder_name(guess)])) + ".wav")
    write_wav(path, utterance)
    for old in [c.path for c in clips(folder)][KEEP:]:
        old.unlink(missing_ok=True)
    return path


def clips(root: Path | None = None) -> list[Clip]:
    """The clips kept, newest first; files not named as `keep` names them are passed over."""
    folder = root or unheard_dir()
    found = []
    for path in folder.glob("*.wav") if folder.is_dir() else ():
        named = _named(path)
        if named is None:
            continue
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                raise ValueError("not a file")  # a FIFO would wait for ever
            seconds = read_wav(path).duration_s
        except (OSError, ValueError):
            seconds = 0.0  # unreadable: listed all the same, so it can be found and deleted
        heard_at, number, guess = named
        found.append((heard_at, number, Clip(path, heard_at, guess, seconds)))
    return [clip for *_, clip in sorted(found, key=lambda f: f[:2], reverse=True)]


def clear(root: Path | None = None) -> int:
    """Delete every clip; how many there were."""
    gone = clips(root)
    for clip in gone:
        clip.path.unlink(missing_ok=True)
    return len(gone)


def _named(path: Path) -> tuple[datetime.datetime, int, str] | None:
    """When, which of that second, and the guess, from a name `keep` gave; None for any other name."""
    day, time, number, *guess = [*path.stem.split("-"), "", ""]
    try:
        return (datetime.datetime.strptime(f"{day}-{time}", "%Y%m%d-%H%M%S"), int(number),
                word_of("-".join(guess)).strip())
    except ValueError:
        return None
