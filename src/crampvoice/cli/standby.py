"""`crampvoice standby`: a session started by voice, all night. Parse, wire, render.

The loop is standby.py; each session is wired exactly as `run` wires one (cli._session), sharing
the inbox, the keys and the --events log with standby. `--install` and `--uninstall` write and
remove a systemd user unit that runs it at login.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from .. import library
from ..core.commands import Command, Vocabulary
from ..core.errors import CrampvoiceError, ScriptError
from ..core.events import DeviceFailed
from ..core.wake import Candidate, muscle_phrases, script_for
from ..eventlog import EventLog
from ..settings import Settings, load_settings
from ..view import TextView
from .profile import option

if TYPE_CHECKING:
    from ..core.ports import Source
    from ..listen.wake import WakeRecognizer
    from ..standby import Wake

UNIT = "crampvoice-standby.service"
TONE_LEVEL = 0.2  # of full scale at volume 1: about the session's own cue tone at the default volume
TONE_TAIL_S = 0.3  # the output's latency: the tone is heard whole before the stream is closed


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    standby = sub.add_parser("standby", help="listen for a start phrase ('cramp help', 'calf cramp') and run "
                             "a session on it, all night")
    standby.add_argument("script", nargs="?", help="the script a phrase that names no muscle starts "
                         "(default: your settings' script)")
    standby.add_argument("--mic", metavar="NAME", help="the microphone: a number or name from 'crampvoice devices'")
    standby.add_argument("--events", metavar="FILE", help="append JSON events, one a line ('-': stdout)")
    which = standby.add_mutually_exclusive_group()
    which.add_argument("--install", action="store_true", help="run it at login: write a systemd user unit")
    which.add_argument("--uninstall", action="store_true", help="remove that unit")
    option(standby)
    standby.set_defaults(handler=cmd_standby)


def cmd_standby(args: argparse.Namespace) -> int:
    if args.install:
        return _install(args)
    if args.uninstall:
        return _uninstall()
    from .. import session
    from ..standby import Standby, StandbyParts
    from . import app as cli

    settings = load_settings()
    vocabulary = standby_vocabulary(settings)
    to_stdout = args.events == "-"
    view = TextView(sys.stderr if to_stdout else sys.stdout)
    clock, inbox = session.MonotonicClock(), session.QueueInbox()
    # what each session is given, as `run` would be: no options beyond the profile's
    args.text = args.keyboard = args.no_diary = False
    args.voice = args.rate = args.volume = None
    with ExitStack() as stack:
        signals = stack.enter_context(session.signals_end_session(inbox))
        events = None
        if args.events:
            stream = sys.stdout if to_stdout else cli._open_events(args.events, "a")  # a restart loses nothing
            if not to_stdout:
                stack.callback(cli._close_quietly, stream)
            events = EventLog(stream, clock.now(), notify=lambda message: inbox.put(DeviceFailed(message)))
        keys = cli._keyboard(view, vocabulary)
        around = cli.Around(clock, inbox, events, keys is not None, {})

        def run_session(wake: Wake) -> int:
            settings = load_settings()  # as it is now: edited since standby began, it applies
            if not around.abandoned:
                fresh_devices()
            name = script_for(wake.phrase, args.script or settings.script, _candidates())
            script = library.load(library.find(name))
            around.mark = {"started_by": wake.by, "phrase": wake.phrase}
            return cli._session(args, settings, script, around=around)

        _warm_output()
        ear = _Ear(vocabulary, args.mic, view)
        view.line(f"Standing by: say {_said(vocabulary)}, or press Enter, to start a session. Ctrl-C ends standby.")
        parts = StandbyParts(clock=clock, inbox=inbox, view=view, open_ear=ear.open, session=run_session,
                             acknowledge=lambda: _tone(settings), keys=keys, events=events, signals=signals)
        code = Standby(parts).run()
    if around.abandoned:
        cli.leave_now(code)
    return code


def standby_vocabulary(settings: Settings) -> Vocabulary:
    """The person's words, the start phrases that name a muscle ("calf cramp"), and the start
    phrases they taught in their voice (`words add PHRASE --as start`): a start is taken only when
    it is one of these, whole."""
    from ..listen import takes

    taught = tuple(sorted({t.word for t in takes.takes() if t.command is Command.START}))
    start = settings.words.get(Command.START, ()) + muscle_phrases() + taught
    return Vocabulary({**settings.words, Command.START: start})


def _said(vocabulary: Vocabulary) -> str:
    phrases = vocabulary.phrases[Command.START]
    return " or ".join(f"'{p}'" for p in phrases[:3])


class _Ear:
    """Opens the microphone listening for a start phrase; the recogniser is built once, at the first."""

    def __init__(self, vocabulary: Vocabulary, mic: str | None, view: TextView) -> None:
        self._vocabulary = vocabulary
        self._mic = mic
        self._view = view
        self._recognizer: WakeRecognizer | None = None

    def open(self) -> Source:
        from ..listen.hearing import build_from_takes, recognizer_for
        from ..listen.mic import MicrophoneSource, find_device
        from ..listen.moonshine import MoonshineModel, import_error
        from ..listen.phrasegate import start_gate
        from ..listen.wake import TranscriptCheck, WakeRecognizer

        fresh_devices()
        if self._recognizer is None:
            inner, notes = recognizer_for(self._vocabulary)
            for note in notes:
                self._view.line(note)
            gate = start_gate(build_from_takes().model)  # read back as recognizer_for just left it
            # what the gate turns away, Moonshine may confirm: loaded once, in the background, from now
            check = TranscriptCheck(self._vocabulary.phrases[Command.START], MoonshineModel.shared()) \
                if gate is not None and import_error() is None else None
            self._recognizer = WakeRecognizer(inner, self._vocabulary, gate=gate, check=check)
            _warm(self._recognizer)
        # nothing of its own is played while it listens: no guard time after "our own voice"
        return MicrophoneSource(self._recognizer, lambda: -math.inf, find_device(self._mic), None)


def _warm(recognizer: WakeRecognizer) -> None:
    """One utterance of faint noise heard now: the first a recogniser hears costs it seconds (the
    embedding's runtime, pocketsphinx's search), which the first start would otherwise wait for."""
    import random

    rng = random.Random(0)
    noise = b"".join(rng.randint(-200, 200).to_bytes(2, "little", signed=True) for _ in range(8000))
    recognizer.begin()
    recognizer.feed(noise)
    recognizer.end()
    recognizer.forget()
    if recognizer.gate is not None:  # its own embedding, used only once a start is heard
        import numpy as np

        recognizer.gate.distance(recognizer.gate.phrases()[0], np.frombuffer(noise, dtype="<i2"))


def _warm_output() -> None:
    """PortAudio started, and an output opened and closed, now rather than at the first start
    phrase: the first opening loads ALSA's plugin and reaches the sound server, which the first
    tone would otherwise wait for (the first start's tone came 1.1 s after the phrase, the next 0.3 s)."""
    from ..speak.player import SoundDevicePlayer

    with suppress(CrampvoiceError):
        SoundDevicePlayer(16000).close()


def fresh_devices() -> None:
    """PortAudio lists the devices once, when it starts: a microphone plugged in or a sound server
    started since is not in that list. Standby runs all night, so the list is made again before each
    session and each time the microphone is opened (nothing of PortAudio's is open then)."""
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        with suppress(Exception):  # PortAudio that cannot start again says so when it is used
            sd._terminate()
            sd._initialize()


def _candidates() -> list[Candidate]:
    found = []
    for entry in library.entries():
        with suppress(ScriptError, CrampvoiceError):
            found.append(Candidate(entry.name, library.load(entry.path).muscle, entry.bundled))
    return found


def _tone(settings: Settings) -> None:
    """A short soft tone at the person's volume: heard, and starting."""
    from ..audio import tone
    from ..speak.player import SoundDevicePlayer
    from ..speak.synth import DEFAULT_VOLUME

    volume = settings.volume if settings.volume is not None else DEFAULT_VOLUME
    sound = tone(16000, level=TONE_LEVEL * volume)
    player = SoundDevicePlayer(16000)
    try:
        player.play(sound).wait(timeout=sound.duration_s + TONE_TAIL_S)
    finally:
        player.close()


# -- the systemd user unit ----------------------------------------------------------


def unit_dir() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def program() -> list[str]:
    """This crampvoice, by absolute path: the script beside this Python (a venv, pipx), else the
    one on PATH, else this Python running the package."""
    beside = Path(sys.executable).parent / "crampvoice"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("crampvoice")
    if found:
        return [str(Path(found).resolve())]
    return [str(Path(sys.executable).absolute()), "-m", "crampvoice"]


def unit_text(args: argparse.Namespace) -> str:
    argv = [*program(), "standby"]
    if args.script:
        path = Path(args.script)
        argv.append(str(path.resolve()) if path.exists() and "/" in args.script else args.script)
    if args.profile:
        argv += ["--profile", args.profile]
    if args.mic:
        argv += ["--mic", args.mic]
    if args.events and args.events != "-":
        argv += ["--events", str(Path(args.events).resolve())]
    return ("[Unit]\n"
            "Description=crampvoice standby: a leg-cramp relief session started by voice\n"
            "After=pulseaudio.service pipewire-pulse.service\n\n"
            "[Service]\n"
            "Type=simple\n"
            f"ExecStart={' '.join(_quoted(a) for a in argv)}\n"
            "Restart=on-failure\n"
            "RestartSec=5\n\n"
            "[Install]\n"
            "WantedBy=default.target\n")


def _quoted(arg: str) -> str:
    """One argument as systemd's ExecStart reads it: '%' doubled; quoted where it has spaces or quotes."""
    text = arg.replace("%", "%%")
    if text and not any(c in text for c in " \t\"'\\;$"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$") + '"'


def _install(args: argparse.Namespace) -> int:
    path = unit_dir() / UNIT
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(unit_text(args), encoding="utf-8")
    except OSError as e:
        raise CrampvoiceError(f"cannot write {path} ({e.strerror})", "check that the folder can be written to") \
            from None
    print(f"{'Replaced' if existed else 'Wrote'} {path}. To start it now and at every login:")
    print(f"systemctl --user enable --now {UNIT}")
    print(f"Its log: journalctl --user -u {UNIT}")
    return 0


def _uninstall() -> int:
    path = unit_dir() / UNIT
    wanted = unit_dir() / "default.target.wants" / UNIT
    if not path.exists() and not wanted.is_symlink():
        print(f"No standby unit to remove ({path} does not exist).")
        return 0
    for p in (wanted, path):
        with suppress(FileNotFoundError):
            p.unlink()
    print(f"Removed {path}. If standby is running, stop it with:")
    print(f"systemctl --user stop {UNIT} && systemctl --user daemon-reload")
    return 0
