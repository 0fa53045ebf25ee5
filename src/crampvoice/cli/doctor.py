"""`crampvoice doctor`: each check says what works, or raises DeviceError with the one thing to do next.

A check that finds no sound device says why in the person's words and what ends the search
(start the sound server, install a plugin, plug in a microphone), not another command to run:
`devices` and `doctor` used to send the person to each other.
"""

from __future__ import annotations

import shutil

from ..core.errors import DeviceError
from ..speak.player import SoundDevicePlayer
from ..speak.synth import ESPEAK_RATE_HZ, Pyttsx3Synth


def check_synthesis() -> str:
    with Pyttsx3Synth() as synth:
        audio = synth.synth("Testing.")
        return f"espeak-ng through pyttsx3, {len(synth.voices)} voices; 'Testing.' takes {audio.duration_s:.2f} s"


def check_output() -> str:
    try:
        player = SoundDevicePlayer(ESPEAK_RATE_HZ)
    except DeviceError as e:
        raise no_device("output", e) from None
    player.close()
    return f"PortAudio plays to '{player.name}'"


def check_recognizer() -> str:
    from ..core.commands import Vocabulary
    from ..listen.embedding import Embedder
    from ..listen.hearing import build_from_takes, hears_with
    from ..listen.sphinx import SphinxRecognizer

    recognizer = SphinxRecognizer(Vocabulary())
    Embedder()  # the personal recogniser's front end loads
    return (f"{hears_with()}. pocketsphinx en-us, listening for {len(recognizer.phrases())} phrases; "
            "the speech embedding loads. "
            f"{build_from_takes().summary}")


def check_microphone() -> str:
    from ..listen.capture import Capture
    from ..listen.mic import input_devices

    try:
        capture = Capture()  # the default microphone, opened as `run` opens it
    except DeviceError as e:
        raise no_device("input", e) from None
    capture.close()
    monitor = monitor_as_microphone()
    if monitor is not None:
        raise monitor
    devices = [d for d in input_devices() if not d.monitor]
    return (f"the default is read through {capture.route}; {len(devices)} input device(s) for --mic "
            f"('crampvoice devices'); {listening_while_speaking()}")


# Which mode listening is in while the program speaks (issue 32; docs/benchmarks.md, "Barge-in"):
# half-duplex by default, full duplex where the profile asks for it and it can be had.
HALF_DUPLEX = "half-duplex: not heard while it speaks (the keys are)"


def listening_while_speaking() -> str:
    """The mode listening is in while the program speaks, and why, in a few words."""
    from ..core.errors import CrampvoiceError
    from ..listen.duplex import open_duplex
    from ..settings import load_settings

    try:
        wanted = load_settings().listen_while_speaking
    except CrampvoiceError:
        wanted = False  # the settings' own check says what is wrong with them
    duplex, how = open_duplex()
    if duplex is not None:
        duplex.close()
    if wanted and duplex is not None:
        return (f"full duplex: stop, pause, emergency, repeat, louder and quieter heard while it speaks, "
                f"its own voice taken out ({how}; 'listen_while_speaking: yes' in the profile)")
    if wanted:
        return f"{HALF_DUPLEX}: 'listen_while_speaking: yes' in the profile, but {how}"
    could = "it could be had here" if duplex is not None else f"not here: {how}"
    return f"{HALF_DUPLEX}; 'listen_while_speaking: yes' in the profile hears stop and pause over it ({could})"


# What still works while a device does not: said once, after the checks, by `doctor` and `devices`.
WITHOUT = {"output": "'crampvoice run --text' shows each step on the screen instead of saying it",
           "input": "'crampvoice run --keyboard' takes commands from the keys alone"}


def start_server() -> str:
    """The command that starts this machine's sound server, or installs one where there is none."""
    if shutil.which("pipewire-pulse"):
        return "systemctl --user start pipewire-pulse"
    if shutil.which("pulseaudio"):
        return "pulseaudio --start"
    return "install a sound server: sudo apt-get install pulseaudio"


def no_device(direction: str, error: DeviceError) -> DeviceError:
    """Why the default sound device would not open, in the person's words rather than PortAudio's
    ("Error querying device -1"), with the one thing to do next."""
    from ..listen.capture import sounddevice
    from ..listen.mic import is_monitor

    key, thing = (("max_output_channels", "speakers or headphones") if direction == "output"
                  else ("max_input_channels", "a microphone"))
    every = list(sounddevice().query_devices())
    found = [str(d["name"]) for d in every if d[key] > 0 and not is_monitor(str(d["name"]))]
    if not every and _server_answers():
        return DeviceError("the sound server is running, but PortAudio cannot reach it: ALSA's pulse plugin is "
                           "missing", "install it: sudo apt-get install libasound2-plugins")
    if not every:
        start = start_server()
        return DeviceError("no sound device: no sound server (PulseAudio or PipeWire) is running, and no sound "
                           "card was found",
                           start if start.startswith("install") else f"start the sound server: {start}")
    if not found:
        return DeviceError(f"no sound device has {thing}", f"plug {thing} in")
    if "device -1" in error.message:
        return DeviceError(f"no {thing} chosen as the default, among {', '.join(repr(n) for n in found)}",
                           "choose one in the system's sound settings" if direction == "output"
                           else f"name one when you run: crampvoice run --mic {found[0]!r}")
    return DeviceError(error.message, "choose working speakers or headphones in the system's sound settings"
                       if direction == "output" else f"name another when you run: crampvoice run --mic {found[0]!r}")


def monitor_as_microphone() -> DeviceError | None:
    """The default source is a speaker's monitor (a machine with no microphone, whose sound server
    listens to its own speakers): it opens and sends sound, and would hear the program's own voice."""
    from ..listen.mic import server_sources

    default, every = server_sources() or (None, [])
    if default is None or not default.monitor:
        return None
    heard = f"'{default.description}', which hears what the speakers play, not a person"
    people = [s for s in every if not s.monitor]
    if people:
        return DeviceError(f"the default microphone is {heard}", f"make '{people[0].description}' the default: "
                                                                 f"pactl set-default-source {people[0].name}")
    return DeviceError(f"the only microphone is {heard}", "plug a microphone in")


def _server_answers() -> bool:
    try:
        import pasimple

        pasimple.PaSimple(pasimple.PA_STREAM_PLAYBACK, pasimple.PA_SAMPLE_S16LE, 1, ESPEAK_RATE_HZ,
                          app_name="crampvoice", stream_name="doctor").close()
    except Exception:  # no pasimple, no libpulse-simple, or no server: PaSimpleError and OSError alike
        return False
    return True
