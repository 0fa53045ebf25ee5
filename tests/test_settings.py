"""A person's settings, and how voice settings move live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crampvoice.core.commands import Command
from crampvoice.core.errors import SettingsError
from crampvoice.settings import Settings, load_settings
from crampvoice.speak.synth import DEFAULT_RATE_WPM, DEFAULT_VOICE, VoiceSettings

from .driver import make_script


def test_no_settings_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.yaml") == Settings()


def test_a_settings_file_sets_script_voice_pace_and_words(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("script: night\nvoice: gmw/en\nrate: 140\nvolume: 0.5\nwords:\n  next: [nek, onward]\n  stop: enough\n")
    settings = load_settings(path)
    assert (settings.script, settings.voice, settings.rate, settings.volume) == ("night", "gmw/en", 140, 0.5)
    assert settings.words == {Command.NEXT: ("nek", "onward"), Command.STOP: ("enough",)}


def test_a_profile_sets_how_the_person_is_talked_to(tmp_path: Path) -> None:
    from crampvoice.core.manner import Countdown, Manner

    path = tmp_path / "dad.yaml"
    path.write_text("input: switch\nscan: 5\ncountdown: halfway\nbrief: yes\n")
    settings = load_settings(path)
    assert settings.input == "switch"
    assert settings.manner == Manner(countdown=Countdown.HALFWAY, brief=True, scan_s=5.0)
    assert load_settings(tmp_path / "none.yaml").manner == Manner()


def test_listening_while_it_speaks_is_asked_for_in_the_profile_and_off_by_default(tmp_path: Path) -> None:
    path = tmp_path / "dad.yaml"
    path.write_text("listen_while_speaking: yes\n")
    assert load_settings(path).listen_while_speaking is True
    assert load_settings(tmp_path / "none.yaml").listen_while_speaking is False


@pytest.mark.parametrize(("text", "message"), [
    ("rate: 1000\n", "'rate' should be words a minute, from 80 to 350"),
    ("volume: 2\n", "'volume' should be a number from 0 to 1"),
    ("words: {nxt: [a]}\n", "'words' should map command names"),
    ("- a list\n", "the settings file should hold 'key: value' lines"),
    ("rate: [\n", "the settings file is not valid YAML"),
    ("input: mouse\n", "'input' cannot be 'mouse' (line 1, column 8)"),
    ("countdown: loud\n", "'countdown' cannot be 'loud'"),
    ("brief: maybe\n", "'brief' cannot be 'maybe'"),
    ("listen_while_speaking: sometimes\n", "'listen_while_speaking' cannot be 'sometimes'"),
    ("scan: 0.2\n", "'scan' should be seconds each choice is offered, from 1 to 10"),
])
def test_bad_settings_are_named_with_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert caught.value.message.startswith(f"{path}") and message in caught.value.message
    assert path.read_text() == text


def test_live_levels_move_rate_and_volume_within_bounds() -> None:
    base = VoiceSettings(voice="gmw/en", rate_wpm=160, volume=0.8)
    assert base.at_levels(0, 0) == base
    assert base.at_levels(1, 0).rate_wpm == 184 and base.at_levels(-1, 0).rate_wpm == 139
    assert base.at_levels(4, 4).volume == 1.0 and base.at_levels(0, -4).volume == pytest.approx(0.328)
    assert VoiceSettings(rate_wpm=340).at_levels(4, 0).rate_wpm == 350
    assert VoiceSettings(rate_wpm=90).at_levels(-4, 0).rate_wpm == 80


def test_voice_settings_come_from_the_command_line_then_the_person_then_the_script() -> None:
    script = make_script("crampvoice: 1\ntitle: T\nvoice: gmw/en\nrate: 120\nsteps: [{say: a}]\n")
    person = Settings(rate=140)
    assert VoiceSettings.chosen(None, None, None, person, script) == VoiceSettings("gmw/en", 140, 0.8)
    assert VoiceSettings.chosen("gmw/en-gb-x-rp", 200, 0.3, person, script) == VoiceSettings("gmw/en-gb-x-rp", 200, 0.3)
    plain = make_script("crampvoice: 1\ntitle: T\nsteps: [{say: a}]\n")
    assert VoiceSettings.chosen(None, None, None, Settings(), plain) == VoiceSettings(DEFAULT_VOICE, DEFAULT_RATE_WPM)


# -- issue 10: a person's words, and the same limits as a script --------------------------------

def _error(tmp_path: Path, text: str | bytes) -> SettingsError:
    path = tmp_path / "settings.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    return caught.value


def test_yes_and_no_as_keys_under_words_are_the_commands(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("words:\n  yes: [yeah, sure]\n  no: nope\n")
    assert load_settings(path).words == {Command.YES: ("yeah", "sure"), Command.NO: ("nope",)}


@pytest.mark.parametrize(("text", "message"), [
    ("words:\n  next: [okay]\n  'yes': [Okay]\n", "'okay' is a word for both 'next' (line 2) and 'yes' (line 3, column 11)"),
    ("words:\n  stop: [done]\n", "'done' is a word for both 'next' (a default word) and 'stop' (line 2, column 10)"),
])
def test_one_phrase_for_two_commands_names_both_places(tmp_path: Path, text: str, message: str) -> None:
    error = _error(tmp_path, text)
    assert error.message == f"{tmp_path / 'settings.yaml'}: {message}"
    assert "each phrase can mean only one command" in error.hint


@pytest.mark.parametrize(("text", "message"), [
    ("volume: yes\n", "'volume' should be a number from 0 to 1"),
    ("rate: " + "1" * 5000 + "\n", "'rate' should be words a minute"),
    ("[" * 10_000 + "]" * 10_000, "nested more than 8 levels"),
    ("words:\n  next: &a [x]\n  back: *a\n", "anchors and aliases"),
    ("voice: !!python/object/apply:os.system [ls]\n", "the tag '!!python/object/apply:os.system' is not allowed"),
    ('voice: "gmw/en\\e[2J"\n', "has a control character, U+001B (escape)"),
    (b"script: calf\x1b\n", "the file has a control character, U+001B (escape) (line 1, column 13)"),
])
def test_settings_are_read_as_safely_as_a_script(tmp_path: Path, text: str | bytes, message: str) -> None:
    assert message in _error(tmp_path, text).message


def test_a_50_mb_settings_file_is_refused_after_reading_1_mib(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    with path.open("wb") as f:
        f.truncate(50 * 1024 * 1024)
    with pytest.raises(SettingsError, match="larger than 1024 KiB"):
        load_settings(path)


def test_a_quoted_rate_is_a_number_and_an_empty_file_is_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text('rate: "140"\n')
    assert load_settings(path).rate == 140
    path.write_text("# nothing yet\n")
    assert load_settings(path) == Settings()


def test_a_fifo_as_settings_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    os.mkfifo(path)
    with pytest.raises(SettingsError, match="pipe, device or socket"):
        load_settings(path)


def test_xdg_config_home_being_a_file_means_no_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "a-file"))
    assert load_settings() == Settings()
