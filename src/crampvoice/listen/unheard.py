"""The last few utterances a session heard and did not act on, kept so that a caregiver can
listen to them and teach one as a word (`crampvoice words add okay --as next FILE`).

    unheard/20261123-021502-1-okay.wav   when it was heard, and the recogniser's best guess

Only the newest `KEEP` are kept, in the person's own data folder (private: 0700); older ones
are deleted as new ones come, and `crampvoice words unheard --clear` deletes them all.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from ..audio import Audio, read_wav, write_wav
from ..settings import data_dir
from .takes import folder_name

KEEP = 20


def unheard_dir() -> Path:
    return data_dir() / "unheard"


@dataclass(frozen=True, slots=True)
class Clip:
    path: Path
    heard_at: datetime.datetime
    guess: str
    seconds: float


def keep(utterance: Audio, guess: str, root: Path | None = None) -> Path:
    """Keep one utterance and drop the oldest beyond `KEEP`; OSError if the folder cannot be written."""
    folder = root or unheard_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    same_second = sum(1 for _ in folder.glob(f"{stamp}-*.wav"))
    path = folder / "-".join(filter(None, [stamp, str(same_second + 1), folder_name(guess)]))
    path = path.with_name(path.name + ".wav")
    write_wav(path, utterance)
    for old in [c.path for c in clips(folder)][KEEP:]:
        old.unlink(missing_ok=True)
    return path


def clips(root: Path | None = None) -> list[Clip]:
    """The clips kept, newest first; files not named as `keep` names them are passed over."""
    folder = root or unheard_dir()
    found = []
    for path in folder.glob("*.wav") if folder.is_dir() else ():
        day, time, number, *guess = [*path.stem.split("-"), "", ""]
        try:
            heard_at = datetime.datetime.strptime(f"{day}-{time}", "%Y%m%d-%H%M%S")
            seconds = read_wav(path).duration_s
        except (ValueError, OSError, EOFError):
            continue
        order = int(number) if number.isdigit() else 0
        found.append((heard_at, order, Clip(path, heard_at, " ".join(guess).strip(), seconds)))
    return [clip for *_, clip in sorted(found, key=lambda f: f[:2], reverse=True)]


def clear(root: Path | None = None) -> int:
    """Delete every clip; how many there were."""
    gone = clips(root)
    for clip in gone:
        clip.path.unlink(missing_ok=True)
    return len(gone)
