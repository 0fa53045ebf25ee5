"""The command line: exit codes and the exact lines people read."""

from __future__ import annotations

from pathlib import Path

import pytest

from crampvoice.cli import main
from crampvoice.library import TEMPLATE, bundled_dir
from crampvoice.schema import first_line

BUNDLED = sorted(p.stem for p in bundled_dir().glob("*.yaml"))


def test_list_offers_every_bundled_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == BUNDLED
    assert all(line.endswith("[bundled]") for line in lines)
    assert {"calf", "foot", "hamstring", "thigh", "night", "bedtime"} <= set(BUNDLED)


def test_new_writes_a_valid_commented_file_and_never_overwrites(
        capsys: pytest.CaptureFixture[str], own_dirs: Path) -> None:
    assert main(["new", "mine"]) == 0
    path = own_dirs / "data" / "crampvoice" / "scripts" / "mine.yaml"
    assert path.read_text() == first_line("script") + TEMPLATE
    assert first_line("script").startswith("# yaml-language-server: $schema=file:///")
    assert main(["validate", str(path)]) == 0
    path.write_text(TEMPLATE + "# my edit\n")
    assert main(["new", "mine"]) == 1
    assert path.read_text().endswith("# my edit\n")
    err = capsys.readouterr().err
    assert f"crampvoice: error: {path} already exists, and was left as it is" in err


def test_a_persons_own_script_wins_over_a_bundled_one_of_the_same_name(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "calf", "--from", "foot"]) == 0
    capsys.readouterr()
    assert main(["list"]) == 0
    calf = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("calf "))
    assert "Foot cramp" in calf and calf.endswith("[yours, in place of the bundled one]")


def test_new_refuses_a_bad_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "../escape"]) == 1
    assert "cannot be a script name" in capsys.readouterr().err


def test_show_prints_the_timeline_and_the_total(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "calf"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Calf cramp (calf)\n")
    assert "hold 30 s, 3 sets, rest 10 s" in out
    # 3 x 30 + 2 x 10 + 20 + 60 + 120 + the unanswered question's 20 s wait.
    assert "Timed holds and rests: 5:30." in out


def test_show_warns_on_standard_error_where_a_sentence_is_hard_to_follow_by_ear(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "warm.yaml"
    script.write_text("crampvoice: 1\ntitle: Warm\nsteps:\n  - heat: Put a warm towel on it for two minutes.\n"
                      "    hold: 60\n")
    assert main(["show", str(script)]) == 0
    out, err = capsys.readouterr()
    assert err == (f"{script}:4:11: warning: step 1's 'heat': the sentence names 120 seconds, but the hold is 60"
                   " — make 'hold:' the time the sentence names, or leave the time out of the sentence\n")
    assert out.startswith("Warm\n") and "warning" not in out


def test_validate_names_every_file_and_exits_1_if_any_is_invalid(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(TEMPLATE)
    bad.write_bytes(b"crampvoice: 1\ntitle: T\nsteps:\n  - stretch: x\n    hold: 9999\n")
    before = bad.read_bytes()
    assert main(["validate", str(good), str(bad), str(tmp_path / "missing.yaml")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{good}: ok (4 steps)",
        f"{bad}:5:11: error: step 1's 'hold' should be a number of seconds from 1 to 600, not '9999'",
        f"{tmp_path / 'missing.yaml'}: error: the file does not exist — check the path, or run 'crampvoice list'",
    ]
    assert bad.read_bytes() == before


def test_run_with_an_unknown_name_says_which_names_exist(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "nosuch", "--text"]) == 1
    err = capsys.readouterr().err
    assert "crampvoice: error: there is no relief script called 'nosuch'" in err
    assert "hint: choose one of: bedtime, calf," in err
    assert main(["run", "calff", "--text"]) == 1
    assert "  hint: did you mean 'calf'? choose one of: bedtime, calf," in capsys.readouterr().err


def test_wrong_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["frobnicate"])
    assert caught.value.code == 2


def test_a_broken_settings_file_is_named_and_left_alone(
        own_dirs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = own_dirs / "config" / "crampvoice" / "settings.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("scirpt: calf\n")
    assert main(["run", "--text"]) == 1
    assert f"crampvoice: error: {path}: unknown setting 'scirpt'" in capsys.readouterr().err
    assert path.read_text() == "scirpt: calf\n"


def test_try_says_one_step_with_its_hold_and_nothing_before_or_after(own_dirs: Path) -> None:
    import subprocess
    import sys

    short = Path(__file__).parent / "data" / "short.yaml"
    tried = subprocess.run([sys.executable, "-m", "crampvoice", "try", str(short), "--step", "2", "--text"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert tried.returncode == 0, tried.stderr
    lines = tried.stdout.splitlines()
    assert lines[0] == "Trying step 2 of 4 of 'Quick test': massage." and lines[1] == "Step 2 of 4:"
    assert "Rub the calf. Keep going for three seconds." in lines and lines[-1] == "And stop."
    assert not any("Quick test." in line or "guide, not a doctor" in line for line in lines[1:])
    assert not (own_dirs / "data" / "crampvoice" / "diary.sqlite3").exists()  # a try is no episode
    wrong = subprocess.run([sys.executable, "-m", "crampvoice", "try", str(short), "--step", "5", "--text"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 1 and "'Quick test' has 4 steps, so there is no step 5" in wrong.stderr
