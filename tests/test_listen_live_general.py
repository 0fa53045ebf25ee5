"""A real session through a virtual PulseAudio microphone obeys a real voice it was never taught:
Moonshine hears it (a clip today's pocketsphinx and verifier miss). A sound server of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crampvoice.core.commands import Vocabulary
from crampvoice.listen.files import read_audio
from crampvoice.listen.moonshine import import_error
from crampvoice.listen.stream import recognize
from crampvoice.listen.verifier import VerifiedRecognizer

from . import pulse as pa
from .test_listen_live import moved_on_by_next

pytestmark = pytest.mark.slow

GO = Path(__file__).parent / "data" / "human" / "speech_commands_v002__go_c22d3f18_nohash_0.wav"  # "go": next


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, str]]:
    if not pa.available():
        pytest.skip("PulseAudio is not installed")
    if (why := import_error()) is not None:
        pytest.skip(f"moonshine_cpp cannot be imported here ({why})")
    with pa.pulse_server() as environment:
        yield environment


def test_go_said_by_a_voice_never_taught_moves_the_session_on(server: dict[str, str], own_dirs: Path,
                                                              tmp_path: Path) -> None:
    decided = recognize(read_audio(GO), VerifiedRecognizer(Vocabulary()))
    assert decided is None or decided.heard.command is None  # what pocketsphinx and the verifier alone make of it
    env = {**server, "XDG_DATA_HOME": str(own_dirs / "data"), "XDG_CONFIG_HOME": str(own_dirs / "config")}
    moved_on_by_next(env, tmp_path, GO)
