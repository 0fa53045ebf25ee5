"""`doctor` and `devices` through the real program: with no sound device at all, and with a
PulseAudio server whose default microphone is only its speaker's monitor."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crampvoice.cli.doctor import start_server
from crampvoice.listen.mic import InputDevice, Source

from . import pulse as pa

CRAMPVOICE = [sys.executable, "-m", "crampvoice"]


def crampvoice(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*CRAMPVOICE, *args], env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def problems(out: str) -> dict[str, str]:
    """Each PROBLEM line by the check's name: what is wrong, and the one thing to do next."""
    found = {}
    for line in out.splitlines():
        if line.startswith("PROBLEM  "):
            name, rest = line.removeprefix("PROBLEM  ").split(": ", 1)
            what, _, next_step = rest.rpartition(" — next: ")
            assert what and next_step and " — " not in next_step, line
            found[name] = next_step
    return found


def test_a_monitor_is_known_by_pulseaudios_name_or_description() -> None:
    assert Source("spk.monitor", "Monitor of Null Output").monitor
    assert Source("alsa_output.pci.analog-stereo.monitor", "Monitor of Built-in Audio").monitor
    assert not Source("vmic", "Remapped Monitor of Null Output").monitor  # a source of its own, fed by one
    assert not Source("alsa_input.usb-mic", "USB Microphone").monitor
    assert InputDevice(3, "Monitor of Built-in Audio Analog Stereo", False).monitor  # PortAudio's PulseAudio names
    assert not InputDevice(0, "pulse", True).monitor


@pytest.mark.slow
def test_with_no_sound_device_each_says_what_to_do_and_neither_sends_to_the_other(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": f"unix:{tmp_path}/none",
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    cards = subprocess.run([sys.executable, "-c", "import sounddevice; print(len(sounddevice.query_devices()))"],
                           env=env, capture_output=True, text=True, timeout=60)
    if cards.stdout.strip() != "0":
        pytest.skip("this machine has a sound card PortAudio reaches without a sound server")
    start = start_server()
    doctor = crampvoice(env, "doctor")
    assert doctor.returncode == 1
    found = problems(doctor.stdout)
    assert set(found) >= {"audio output", "microphone"}, doctor.stdout
    for name in ("audio output", "microphone"):
        assert start in found[name], found[name]  # the command that starts a sound server
    assert "no sound server (PulseAudio or PipeWire) is running, and no sound card was found" in doctor.stdout
    assert "--text" in doctor.stdout and "--keyboard" in doctor.stdout
    devices = crampvoice(env, "devices")
    assert devices.returncode == 0
    assert start in devices.stdout and "--keyboard" in devices.stdout
    for out in (doctor.stdout, devices.stdout):
        assert "device -1" not in out and "Error querying" not in out  # PortAudio's words, not the person's
    assert "crampvoice devices" not in doctor.stdout and "crampvoice doctor" not in devices.stdout


@pytest.fixture(scope="module")
def speakers_and_a_mic() -> Iterator[dict[str, str]]:
    """A server of its own: its default source is changed, and its microphone taken away."""
    if not pa.available():
        pytest.skip("PulseAudio is not installed (./dev.sh test installs it)")
    with pa.pulse_server() as env:
        yield env


@pytest.mark.slow
def test_a_speakers_monitor_is_no_microphone_and_the_next_step_ends_the_search(
        speakers_and_a_mic: dict[str, str], tmp_path: Path) -> None:
    env = {**speakers_and_a_mic, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    subprocess.run(["pactl", "set-default-source", "spk.monitor"], env=env, check=True)
    doctor = crampvoice(env, "doctor")
    assert doctor.returncode == 1
    step = problems(doctor.stdout)["microphone"]
    assert "'Monitor of Null Output', which hears what the speakers play" in doctor.stdout
    assert step.endswith("pactl set-default-source vmic"), step
    assert "--keyboard" in doctor.stdout
    assert "pactl set-default-source vmic" in crampvoice(env, "devices").stdout
    subprocess.run(step.split(": ", 1)[1].split(), env=env, check=True)  # do as it says
    again = crampvoice(env, "doctor")
    assert again.returncode == 0 and "ok       microphone: " in again.stdout, again.stdout
    assert "No microphone" not in crampvoice(env, "devices").stdout


@pytest.mark.slow
def test_a_machine_whose_only_source_is_the_speakers_monitor_has_no_microphone(
        speakers_and_a_mic: dict[str, str], tmp_path: Path) -> None:
    env = {**speakers_and_a_mic, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    subprocess.run(["pactl", "unload-module", "module-remap-source"], env=env, check=True)  # the microphone goes
    subprocess.run(["pactl", "set-default-source", "spk.monitor"], env=env, check=True)
    doctor = crampvoice(env, "doctor")
    assert doctor.returncode == 1
    assert problems(doctor.stdout)["microphone"] == "plug a microphone in"
    assert "the only microphone is 'Monitor of Null Output'" in doctor.stdout
    assert "ok       audio output" in doctor.stdout  # the speakers still work
    assert "'crampvoice run --keyboard' takes commands from the keys alone" in doctor.stdout
    devices = crampvoice(env, "devices")
    assert "No microphone: the only microphone is 'Monitor of Null Output'" in devices.stdout
    assert "plug a microphone in" in devices.stdout and "crampvoice doctor" not in devices.stdout
