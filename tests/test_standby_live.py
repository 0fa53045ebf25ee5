"""Standby through a virtual PulseAudio microphone: a real person's taught start phrase, the hard
negatives that share its words, other speech and noise, sessions one after another, SIGTERM.

The person is george of the Free Spoken Digit Dataset (tests/data/personal/README.md): two of his
words joined, "four seven", stand in for a start phrase, taught from three takes of it as a person
would with `words add`. Out of the box, espeak-ng says "foot cramp": that only exercises the
plumbing (synthetic voices are no evidence of people).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crampvoice.audio import Audio, read_wav, to_mono_16k, write_wav
from crampvoice.diary import Diary

from . import pulse as pa
from .standby_process import CRAMPVOICE, StandbyProcess

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data"
GAP = bytes(int(16000 * 0.15) * 2)  # between the two words of a phrase
QUIET = bytes(16000 * 2)  # a second: two utterances this far apart are not heard as one
TINY = "crampvoice: 1\ntitle: {title}\nmuscle: {muscle}\nsafety: [Get help if it lasts.]\nsteps:\n  - say: Sip water.\n"


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, str]]:
    """One sound server for the module, not conftest's for the whole run: the last test here kills it
    (the sound server restarting), which must not reach other modules' tests."""
    if not pa.available():
        pytest.skip("PulseAudio is not installed (./dev.sh test installs it)")
    with pa.pulse_server() as env:
        yield env


@pytest.fixture
def env(server: dict[str, str], own_dirs: Path) -> dict[str, str]:
    return {**server, "XDG_DATA_HOME": str(own_dirs / "data"), "XDG_CONFIG_HOME": str(own_dirs / "config")}


def george(*names: str) -> Audio:
    """George's clips said one after the other, a short pause between: one utterance."""
    return Audio(GAP.join(to_mono_16k(read_wav(DATA / "personal" / f"{n}.wav")).pcm for n in names), 16000)


def wav(audio: Audio, path: Path) -> Path:
    write_wav(path, audio)
    return path


def teach_four_seven(env: dict[str, str], folder: Path) -> None:
    """George's "four seven" taught for start from three takes, as `words add` teaches a phrase."""
    takes = [wav(george(f"4_george_{i}", f"7_george_{i}"), folder / f"take{i}.wav") for i in range(3)]
    taught = subprocess.run([*CRAMPVOICE, "words", "add", "four seven", "--as", "start", *map(str, takes)],
                            env=env, capture_output=True, text=True, timeout=300)
    assert taught.returncode == 0, taught.stderr


def test_a_taught_phrase_starts_its_script_again_and_again_and_its_words_other_talk_and_noise_do_not(
        env: dict[str, str], own_dirs: Path, tmp_path: Path) -> None:
    teach_four_seven(env, tmp_path)
    script = tmp_path / "tiny.yaml"
    script.write_text(TINY.format(title="Tiny", muscle="calf"))
    standby = StandbyProcess(env, script)
    assert standby.until("standby")["microphone"] is True, standby.seen
    # His words alone, and with another of his words: each heard, and taken for no start. A second's
    # quiet before each: "four" and then "seven" half a second apart is the phrase, heard whole.
    for names in (["4_george_10"], ["7_george_10"], ["4_george_10", "2_george_5"], ["9_george_5", "7_george_10"]):
        standby.say(wav(Audio(QUIET + george(*names).pcm, 16000), tmp_path / "not.wav"))
        unheard = standby.until("unheard", no_start=True)
        assert unheard["guess"] == "four seven"
    standby.say(DATA / "human" / "mycroft_precise__bg_noise7.wav")
    standby.say(DATA / "human" / "mycroft_precise__notww_you_better_talk_0ccdc16b.wav")  # another person
    phrase = wav(george("4_george_10", "7_george_10"), tmp_path / "phrase.wav")
    standby.say(phrase)
    wake = standby.until("wake")
    assert (wake["phrase"], wake["by"]) == ("four seven", "voice") and float(str(wake["score"])) >= 0.8
    start = standby.until("start")
    assert (start["title"], start["started_by"]) == ("Tiny", "voice")
    assert standby.until("end")["reason"] == "completed"
    assert standby.until("standby")["microphone"] is True  # listening again after the session
    again = wav(george("4_george_10", "7_george_20"), tmp_path / "again.wav")
    second = standby.said_until_taken(again, phrase, again)  # like a person not heard the first time
    assert second is not None and second["type"] == "wake" and second["phrase"] == "four seven", standby.seen
    standby.until("say")
    code, err = standby.end()
    assert code == 143, err
    assert [e["type"] for e in standby.seen[-2:]] == ["end", "standby_end"]
    assert sum(e["type"] == "wake" for e in standby.seen) == 2
    with Diary.open(own_dirs / "data" / "crampvoice" / "diary.sqlite3") as diary:
        starts = [diary.events(e.id)[0] for e in diary.episodes()]
    assert [s["started_by"] for s in starts] == ["voice", "voice"]


def test_out_of_the_box_a_phrase_naming_a_muscle_starts_that_script(
        env: dict[str, str], own_dirs: Path, tmp_path: Path) -> None:
    scripts = own_dirs / "data" / "crampvoice" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "my-feet.yaml").write_text(TINY.format(title="My feet", muscle="foot"))
    said = tmp_path / "foot-cramp.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(said), "foot cramp"], check=True, timeout=30)
    cramp = tmp_path / "cramp.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(cramp), "I have a cramp in my foot"], check=True, timeout=30)
    standby = StandbyProcess(env, "calf")
    assert standby.until("standby")["microphone"] is True
    standby.say(cramp)  # its words inside a sentence: no start
    wake = standby.said_until_taken(said, said, said)  # like a person not heard the first time
    assert wake is not None and (wake["phrase"], wake["by"]) == ("foot cramp", "voice"), standby.seen
    assert standby.until("start")["script"] == "my-feet"
    code, err = standby.end()
    assert code == 143, err


def test_the_microphone_removed_and_restored_is_said_once_and_standby_listens_again_by_itself(
        env: dict[str, str], tmp_path: Path) -> None:
    teach_four_seven(env, tmp_path)
    standby = StandbyProcess(env, DATA / "short.yaml")
    assert standby.until("standby")["microphone"] is True
    modules = subprocess.run(["pactl", "list", "short", "modules"], env=env, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    (remap,) = [line.split()[0] for line in modules if "module-remap-source" in line]
    # Unplugged: the server moves the recording to another source (the speaker's monitor here), and
    # nothing fails; plugged back and the default again, PulseAudio 15 and later (and PipeWire) move
    # it back. A server that ends the recording instead is the next test's case.
    subprocess.run(["pactl", "unload-module", remap], env=env, check=True)
    phrase = wav(george("4_george_10", "7_george_10"), tmp_path / "phrase.wav")
    subprocess.run(["pactl", "load-module", "module-remap-source", "master=micfeed.monitor", "source_name=vmic"],
                   env=env, check=True, capture_output=True)  # plugged back
    subprocess.run(["pactl", "set-default-source", "vmic"], env=env, check=True)
    wake = standby.said_until_taken(*[phrase] * 6)  # said again, as a person would, until heard
    assert wake is not None and wake["type"] == "wake", standby.seen
    code, err = standby.end()
    assert code == 143, err

def test_the_sound_server_restarting_is_said_once_and_standby_listens_again_by_itself(
        server: dict[str, str], env: dict[str, str], own_dirs: Path, tmp_path: Path) -> None:
    """Last in the module: it leaves a new server in place of the module's, and stops it at the end."""
    teach_four_seven(env, tmp_path)
    script = tmp_path / "tiny.yaml"
    script.write_text(TINY.format(title="Tiny", muscle="calf"))
    standby = StandbyProcess(env, script)
    assert standby.until("standby")["microphone"] is True
    os.kill(int(server["CRAMPVOICE_TEST_PULSE_PID"]), signal.SIGKILL)  # the server dies
    gone = standby.until("notice")
    assert "The microphone stopped working" in str(gone["text"]), gone
    restarted = _start_again(server)
    try:
        back = standby.until("standby")
        assert back["microphone"] is True
        notices = [str(e["text"]) for e in standby.seen if e["type"] == "notice"]
        assert notices[0] == gone["text"] and notices[-1].startswith("The microphone works again")
        assert len(notices) == 2, notices  # each said once, however often it was tried meanwhile
        standby.say(wav(george("4_george_10", "7_george_10"), tmp_path / "phrase.wav"))
        assert standby.until("wake")["phrase"] == "four seven"
        standby.until("say")
        code, err = standby.end()
        assert code == 143, err
        assert "Speech is off" not in err  # PortAudio sees the server that came back, not the list it began with
    finally:
        restarted.terminate()
        restarted.wait(timeout=10)


def _start_again(server: dict[str, str]) -> subprocess.Popen[bytes]:
    """The module's server started again where it was, as pulse.pulse_server starts it."""
    Path(server["PULSE_RUNTIME_PATH"], "pid").unlink(missing_ok=True)  # the killed one's, not yet reaped
    restarted = subprocess.Popen(["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--log-target=stderr",
                                  "--log-level=error", *pa.MODULES], env=server, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if subprocess.run(["pactl", "info"], env=server, capture_output=True).returncode == 0:
            break
        time.sleep(0.05)  # as pulse.pulse_server waits: the server has no event to wait on
    for args in (["set-default-sink", "spk"], ["set-default-source", "vmic"]):
        subprocess.run(["pactl", *args], env=server, check=True, timeout=30)
    return restarted
