"""A person's settings file and where their own files live (platformdirs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
import yaml

from .core.commands import Command
from .core.errors import SettingsError
from .core.script import RATE_BOUNDS_WPM

APP = "crampvoice"
KEYS = ("script", "voice", "rate", "volume", "words")


def data_dir() -> Path:
    """The person's own scripts and diary ($XDG_DATA_HOME/crampvoice on Linux)."""
    return Path(platformdirs.user_data_dir(APP))


def user_scripts_dir() -> Path:
    return data_dir() / "scripts"


def settings_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "settings.yaml"


@dataclass(frozen=True, slots=True)
class Settings:
    script: str = "calf"  # the routine `crampvoice run` starts with no name given
    voice: str | None = None  # an espeak-ng voice id
    rate: int | None = None  # words a minute
    volume: float | None = None  # 0.0 to 1.0
    words: dict[Command, tuple[str, ...]] = field(default_factory=dict)  # a person's own phrases


def load_settings(path: Path | None = None) -> Settings:
    """The settings file, or defaults when there is none. Never writes anything."""
    path = path or settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as e:
        raise SettingsError(f"cannot read the settings file {path}: {e}",
                            "fix or remove that file; it holds 'key: value' lines") from None
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        raise SettingsError(f"{path}: the settings file is not valid YAML ({e})".replace("\n", " "),
                            "fix or remove that file") from None
    return _settings(raw, path)


def _bad(path: Path, what: str) -> SettingsError:
    return SettingsError(f"{path}: {what}", f"keys a settings file may have: {', '.join(KEYS)}")


def _settings(raw: object, path: Path) -> Settings:
    def bad(what: str) -> SettingsError:
        return _bad(path, what)

    if not isinstance(raw, dict):
        raise bad("the settings file should hold 'key: value' lines")
    unknown = sorted(str(k) for k in raw if k not in KEYS)
    if unknown:
        raise bad(f"unknown setting '{unknown[0]}'")
    script, voice = raw.get("script", "calf"), raw.get("voice")
    rate, volume = raw.get("rate"), raw.get("volume")
    if not isinstance(script, str) or (voice is not None and not isinstance(voice, str)):
        raise bad("'script' and 'voice' should be names")
    low, high = RATE_BOUNDS_WPM
    if rate is not None and (not isinstance(rate, int) or not low <= rate <= high):
        raise bad(f"'rate' should be words a minute, from {low} to {high}")
    if volume is not None and (not isinstance(volume, (int, float)) or not 0 <= volume <= 1):
        raise bad("'volume' should be a number from 0 to 1")
    return Settings(script=script, voice=voice, rate=rate,
                    volume=None if volume is None else float(volume), words=_words(raw.get("words"), path))


def _words(raw: object, path: Path) -> dict[Command, tuple[str, ...]]:
    if raw is None:
        return {}
    names = {c.value: c for c in Command}
    if not isinstance(raw, dict) or not all(k in names for k in raw):
        raise _bad(path, f"'words' should map command names ({', '.join(names)}) to lists of phrases")
    out: dict[Command, tuple[str, ...]] = {}
    for name, phrases in raw.items():
        items = [phrases] if isinstance(phrases, str) else phrases
        if not isinstance(items, list) or not all(isinstance(p, str) for p in items):
            raise _bad(path, f"'words: {name}' should be a phrase or a list of phrases")
        out[names[name]] = tuple(items)
    return out
