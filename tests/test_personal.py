"""The person's own voice: takes of a real person's words, the frozen embedding, the personal model.

george (tests/data/personal/README.md) says "seven" for next and "four" for stop: words no
pronunciation dictionary maps to those commands, so only his takes can teach them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from .at_once import at_once

DATA = Path(__file__).parent / "data"
GEORGE = DATA / "personal"
CRAMPVOICE = [sys.executable, "-m", "crampvoice"]


def george(name: str) -> Any:
    """george's clip `name` (as `7_george_10`) at 16 kHz, as the microphone's path hears it."""
    from crampvoice.audio import read_wav, to_mono_16k

    return to_mono_16k(read_wav(GEORGE / f"{name}.wav"))


def seven() -> Any:
    """One of george's takes of "seven", as the model learns it: 16 kHz, 16-bit samples."""
    import numpy as np

    return np.frombuffer(george("7_george_10").pcm, "<i2")


def crampvoice(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CRAMPVOICE, *map(str, args)], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


def heard(*files: Path) -> dict[str, str | None]:
    done = crampvoice("recognize", "--json", *files)
    assert done.returncode == 0, done.stderr
    return {Path(r["file"]).name: r["command"] for r in map(json.loads, done.stdout.splitlines())}


def teach_george() -> None:
    for word, command, digit in (("seven", "next", 7), ("four", "stop", 4)):
        done = crampvoice("words", "add", word, "--as", command, *(GEORGE / f"{digit}_george_{i}.wav" for i in range(3)))
        assert done.returncode == 0, done.stderr
        assert f"Kept 3 takes of '{word}' for {command}." in done.stdout


def test_a_persons_own_words_are_heard_from_their_takes_and_the_default_words_still_are(own_dirs: Path) -> None:
    before = heard(DATA / "corpus" / "next_clean.wav", GEORGE / "7_george_10.wav")
    assert before == {"next_clean.wav": "next", "7_george_10.wav": None}  # "seven" is no word for next yet
    teach_george()
    backward = "speech_commands_v002__backward_0cb74144_nohash_2.wav"
    got = heard(GEORGE / "7_george_10.wav", GEORGE / "7_george_20.wav", GEORGE / "4_george_10.wav",
                GEORGE / "2_george_5.wav", GEORGE / "9_george_5.wav", DATA / "human" / backward,
                DATA / "corpus" / "repeat_clean.wav")
    assert got == {"7_george_10.wav": "next", "7_george_20.wav": "next", "4_george_10.wav": "stop",
                   "2_george_5.wav": None, "9_george_5.wav": None,  # his other words: no command
                   backward: "back", "repeat_clean.wav": "repeat"}  # untaught commands: the default words


def test_the_commands_not_taught_are_checked_by_the_verifier_as_before_any_teaching(own_dirs: Path) -> None:
    """Talk in babble that pocketsphinx alone takes for "louder": refused before teaching, and
    still refused once some words are taught (it was taken, when the rest went to pocketsphinx alone)."""
    from crampvoice.core.commands import Vocabulary
    from crampvoice.listen.files import read_audio
    from crampvoice.listen.sphinx import SphinxRecognizer
    from crampvoice.listen.stream import recognize

    talk = DATA / "corpus" / "the-weather-tonight_babble10.wav"
    alone = recognize(read_audio(talk), SphinxRecognizer(Vocabulary()))
    assert alone is not None and alone.heard.command is not None  # what is at stake
    assert heard(talk) == {talk.name: None}
    teach_george()
    assert heard(talk, DATA / "corpus" / "repeat_clean.wav") == {talk.name: None, "repeat_clean.wav": "repeat"}


def test_the_takes_are_files_the_person_can_list_and_delete_and_the_model_follows_them(own_dirs: Path) -> None:
    teach_george()
    voice = own_dirs / "data" / "crampvoice" / "voice"
    assert sorted(p.relative_to(voice).as_posix() for p in voice.rglob("*.wav")) == [
        f"{c}/{w}/{i}.wav" for c, w in (("next", "seven"), ("stop", "four")) for i in (1, 2, 3)]
    listed = crampvoice("words", "list")
    assert "next           'seven': 3 takes" in listed.stdout and "stop           'four': 3 takes" in listed.stdout
    assert heard(GEORGE / "7_george_10.wav")["7_george_10.wav"] == "next"
    model = voice / "model.npz"
    built_at = model.stat().st_mtime_ns
    assert heard(GEORGE / "4_george_10.wav")["4_george_10.wav"] == "stop"
    assert model.stat().st_mtime_ns == built_at  # the same takes: read back, not built again
    from crampvoice.cli.app import teach_tip
    from crampvoice.core.commands import Vocabulary
    from crampvoice.listen.hearing import recognizer_for

    assert teach_tip(None, recognizer_for(Vocabulary())[0]) == ()  # taught: no tip to teach it
    removed = crampvoice("words", "remove", "seven")
    assert removed.returncode == 0 and "Deleted 3 takes of 'seven'." in removed.stdout
    assert not (voice / "next").exists()
    assert heard(GEORGE / "7_george_10.wav")["7_george_10.wav"] != "next"
    assert heard(GEORGE / "4_george_10.wav")["4_george_10.wav"] == "stop"


def test_words_add_refuses_what_it_cannot_use_and_keeps_nothing(own_dirs: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not audio")
    done = crampvoice("words", "add", "okay", "--as", "next", GEORGE / "7_george_0.wav", broken)
    assert done.returncode == 1 and "cannot read it as audio" in done.stderr and "Traceback" not in done.stderr
    assert not (own_dirs / "data" / "crampvoice" / "voice").exists()
    assert crampvoice("words", "add", "okay", "--as", "onward", GEORGE / "7_george_0.wav").returncode == 2
    assert crampvoice("words", "remove", "okay").returncode == 1


def test_a_word_with_a_take_unlike_its_others_is_one_the_model_is_unsure_of() -> None:
    import numpy as np

    from crampvoice.core.commands import Command
    from crampvoice.listen.embedding import Floats
    from crampvoice.listen.personal import Label, PersonalModel

    rng = np.random.default_rng(0)

    def noise(scale: float) -> Floats:
        return (scale * rng.standard_normal((12, 96))).astype(np.float32)

    shapes = {name: noise(1.0) for name in ("seven", "four", "other")}

    def said(name: str) -> list[Floats]:  # a take and a variant of it: the same shape, a little noise
        take = shapes[name] + noise(0.3)
        return [take, take + noise(0.1)]

    others = [shapes["other"] + noise(1.0) for _ in range(200)]
    seven, four = Label(Command.NEXT, "seven"), Label(Command.STOP, "four")
    clean = PersonalModel.build({seven: [said("seven") for _ in range(3)], four: [said("four") for _ in range(3)]},
                                others)
    assert clean.unsure() == []
    misfiled = PersonalModel.build({seven: [said("seven") for _ in range(3)],
                                    four: [said("four"), said("four"), said("seven")]}, others)
    assert four in misfiled.unsure()  # one of its takes is nearer seven's than its own: ask for more
    again = PersonalModel.from_bytes(misfiled.to_bytes())
    assert again.unsure() == misfiled.unsure()


def test_what_is_heard_of_an_utterance_is_its_voice_not_the_quiet_or_steady_noise_around_it() -> None:
    import numpy as np

    from crampvoice.listen.personal import spoken_span

    take = seven()
    before, after = 4800, 6400  # as the endpointer cuts an utterance: 300 ms before the voice, 400 after
    rng = np.random.default_rng(0)
    quiet = np.concatenate([np.zeros(before), take, np.zeros(after)]).astype(np.int16)
    level = np.sqrt(np.mean(take.astype(float) ** 2))
    noisy = (quiet + rng.normal(0, level / 10, len(quiet))).astype(np.int16)  # a room's steady noise, 20 dB under
    for around in (quiet, noisy):
        voice = spoken_span(around)
        assert np.abs(voice).max() == np.abs(around).max()  # the word is in it
        assert len(voice) <= len(take) + 2 * (1600 + 160)  # of the quiet or noise, 100 ms each side (and a frame)
    hum = rng.normal(0, 300, 16000).astype(np.int16)
    assert len(spoken_span(hum)) == len(hum)  # steady noise alone: nothing to cut it to, kept whole
    assert len(spoken_span(np.zeros(8000, np.int16))) == 8000


def test_a_take_is_also_learnt_in_noise_that_goes_on_before_and_after_it() -> None:
    """What is heard in a room where noise goes on keeps some of it around the word, so one of a
    take's variants has noise going on from before the take to after it."""
    import numpy as np

    from crampvoice.listen.embedding import SAMPLE_RATE_HZ
    from crampvoice.listen.personal import NOISE_AROUND_S, _variants

    take = seven()
    variants = _variants(take, np.random.default_rng(0))
    assert np.array_equal(variants[0], take)
    edge = int(SAMPLE_RATE_HZ * NOISE_AROUND_S[0])  # the least noise there is on each side
    around = [v for v in variants if len(v) >= len(take) + 2 * edge]
    assert len(around) == 1
    level = np.sqrt(np.mean(take.astype(float) ** 2))
    for part in (around[0][:edge], around[0][-edge:]):  # noise before and after it, 0 to 10 dB under the take
        assert level / 10 < np.sqrt(np.mean(part**2)) < 2 * level


def test_a_take_is_learnt_in_noise_over_it_three_times_each_with_noise_of_its_own() -> None:
    """One noisy copy of a take learnt too little of a noisy room: three, each with its own noise
    at its own level 0 to 10 dB under the take, heard a point more at 10 dB (docs/benchmarks.md)."""
    from itertools import combinations

    import numpy as np

    from crampvoice.listen.personal import _variants

    take = seven().astype(float)
    noises = [v - take for v in _variants(seven(), np.random.default_rng(0))[1:] if len(v) == len(take)]
    assert len(noises) == 3
    level = np.sqrt(np.mean(take**2))
    levels = [np.sqrt(np.mean(n**2)) for n in noises]
    assert all(level / 10 ** (10 / 20) * 0.99 < x < level * 1.01 for x in levels)
    assert len({round(x) for x in levels}) == 3
    assert max(abs(np.corrcoef(a, b)[0, 1]) for a, b in combinations(noises, 2)) < 0.5


def test_a_word_the_model_is_near_to_acting_on_is_acted_on_when_pocketsphinx_hears_it_too(tmp_path: Path) -> None:
    """george's "seven" in white noise at 10 dB: his model is sure of the word, but it is just
    outside the word's gate, so alone it turns it away; asked, pocketsphinx hears "seven" too.
    His "two" and "nine" in the same noise are still no command."""
    import numpy as np

    from crampvoice.audio import Audio
    from crampvoice.core.commands import Command
    from crampvoice.listen import takes
    from crampvoice.listen.embedding import Embedder
    from crampvoice.listen.hearing import build_from_takes, personal_recognizer
    from crampvoice.listen.personal import PersonalModel, PersonalRecognizer
    from crampvoice.listen.stream import recognize

    def in_noise(name: str) -> Audio:
        x = np.frombuffer(george(name).pcm, "<i2").astype(np.float64)
        noise = np.random.default_rng(0).standard_normal(len(x))
        noise *= np.sqrt(np.mean(x**2) / np.mean(noise**2)) / 10 ** (10 / 20)
        return Audio(np.clip(x + noise, -32768, 32767).astype("<i2").tobytes(), 16000)

    def model_of(seven_as: str) -> PersonalModel:
        """george's takes of "seven" taught as the word `seven_as` for next, and of "four" for stop."""
        folder = tmp_path / seven_as
        for word, command, digit in ((seven_as, Command.NEXT, 7), ("four", Command.STOP, 4)):
            for i in range(3):
                take = takes.spoken_part(george(f"{digit}_george_{i}"))
                assert take is not None
                takes.add(take, command, word, folder)
        model = build_from_takes(folder).model
        assert model is not None
        return model

    def command(audio: Audio, model: PersonalModel, second_opinion: bool = True) -> Command | None:
        recognizer = personal_recognizer(model, veto="off") if second_opinion else PersonalRecognizer(model, Embedder())
        decision = recognize(audio, recognizer)
        return decision.heard.command if decision else None

    seven, noisy = model_of("seven"), in_noise("7_george_30")
    assert command(noisy, seven, second_opinion=False) is None
    assert command(noisy, seven) is Command.NEXT
    assert [command(in_noise(n), seven) for n in ("2_george_5", "9_george_5")] == [None, None]
    # the same takes taught as "onward" (no word of the shipped negatives, so the model is the same
    # and as near): pocketsphinx hears no "onward" in it
    assert command(noisy, model_of("onward")) is None


def test_sessions_saving_the_voice_model_at_the_same_moment_leave_one_of_them_whole(tmp_path: Path) -> None:
    """Two sessions that start just after new takes both build the model and save it as they finish."""
    from crampvoice.listen.hearing import _write

    path = tmp_path / "model.npz"
    models = [bytes([k]) * 4_000_000 for k in range(3)]  # large enough for the writes to overlap
    for _ in range(20):  # it failed every time when the model was written through one shared file
        assert at_once(*(partial(_write, path, m) for m in models)) == []
        assert path.read_bytes() in models
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # nothing half written left behind


def test_takes_kept_by_sessions_at_the_same_moment_are_all_kept_whole(tmp_path: Path) -> None:
    from crampvoice.audio import Audio, read_wav
    from crampvoice.core.commands import Command
    from crampvoice.listen import takes

    said = [Audio(bytes([k, 1]) * 16000, 16000) for k in range(24)]  # one second each, told apart by sound

    def keep(mine: list[Audio]) -> None:
        for audio in mine:
            takes.add(audio, Command.NEXT, "okay", tmp_path)

    assert at_once(*(partial(keep, said[k::4]) for k in range(4))) == []
    kept = takes.takes(tmp_path)
    assert sorted(t.path.name for t in kept) == sorted(f"{n}.wav" for n in range(1, 25))
    assert sorted(read_wav(t.path).pcm for t in kept) == sorted(a.pcm for a in said)
    assert [p.name for p in (tmp_path / "next" / "okay").iterdir() if not p.name.endswith(".wav")] == []


def test_a_model_saved_late_for_older_takes_is_built_again_not_read_back_for_the_new_ones(tmp_path: Path) -> None:
    """A session that began building before a take was added, saving its model after another session
    saved the model of all the takes."""
    from crampvoice.audio import read_wav
    from crampvoice.core.commands import Command
    from crampvoice.listen import takes
    from crampvoice.listen.embedding import Embedder
    from crampvoice.listen.hearing import build_from_takes

    embedder = Embedder()
    for i in range(3):
        takes.add(read_wav(GEORGE / f"7_george_{i}.wav"), Command.NEXT, "seven", tmp_path)
    assert build_from_takes(tmp_path, embedder).learnt
    older = (tmp_path / "model.npz").read_bytes()  # "seven" alone
    for i in range(3):
        takes.add(read_wav(GEORGE / f"4_george_{i}.wav"), Command.STOP, "four", tmp_path)
    assert build_from_takes(tmp_path, embedder).learnt
    assert not build_from_takes(tmp_path, embedder).learnt  # the same takes: read back
    (tmp_path / "model.npz").write_bytes(older)  # the late session's save
    again = build_from_takes(tmp_path, embedder)
    assert again.learnt and again.model is not None
    assert {label.word for label in again.model.labels} == {"seven", "four"}


def test_the_embedding_loads_from_the_installed_package_with_no_network() -> None:
    code = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise AssertionError('a socket was opened')\n"
        "socket.socket = refuse; socket.create_connection = refuse\n"
        "import numpy as np\n"
        "from crampvoice.listen.embedding import Embedder\n"
        "from crampvoice.listen.personal import negatives\n"
        "e = Embedder().embed(np.zeros(16000, np.int16))\n"
        "bank, words = negatives()\n"
        "print(e.shape, len(bank) == len(words) > 500)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(13, 96) True"  # 1.8 s padded: one vector per 80 ms after the first window
    assert done.stderr == ""  # TensorFlow Lite's "INFO: Created ... XNNPACK delegate" is not printed


def test_the_embedding_on_xnnpack_gives_the_vectors_of_the_plain_kernels() -> None:
    import numpy as np

    from crampvoice.audio import to_mono_16k
    from crampvoice.listen.embedding import Embedder
    from crampvoice.listen.files import read_audio

    fast, plain = Embedder(), Embedder(xnnpack=False)
    for name in ("7_george_0.wav", "4_george_1.wav"):
        samples = np.frombuffer(to_mono_16k(read_audio(GEORGE / name)).pcm, dtype="<i2")
        for e in (fast, plain):
            e._noise = np.random.default_rng(0)
        a, b = fast.embed(samples), plain.embed(samples)
        assert a.shape == b.shape and len(a) > 5
        assert np.abs(a - b).max() < 1e-3 < np.abs(a).max()


@pytest.mark.slow
def test_the_built_wheel_installs_with_no_compiler_and_carries_the_negatives(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(root)],
                   check=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("crampvoice-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "crampvoice/listen/negatives.npz" in names and "crampvoice/scripts/calf.yaml" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # Wheels only: a dependency that had to be compiled (PyAudio did) fails here.
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--only-binary=:all:", str(wheel)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr
    done = subprocess.run([str(venv / "bin" / "crampvoice"), "recognize", "--json",
                           str(DATA / "corpus" / "next_clean.wav")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["command"] == "next"
