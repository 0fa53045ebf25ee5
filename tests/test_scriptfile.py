"""Reading relief scripts: every problem, with its line and column, and nothing built from tags."""

from __future__ import annotations

import pytest

from crampvoice.core.errors import ScriptError
from crampvoice.core.script import Answer, Kind, Then
from crampvoice.core.scriptfile import MAX_STEPS, parse_script, read_script
from crampvoice.core.yamlnodes import MAX_FILE_BYTES

GOOD = """\
crampvoice: 1
title: Calf cramp
muscle: calf
safety:
  - Get help if it lasts.
steps:
  - stretch: Pull your toes up.
    hold: 30
    repeat: 3
    rest: 10
    sides: both
  - ask: Is it easing?
    no: repeat
    default: no
    wait: 15
  - say: Sip water.
"""


def problems(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(ScriptError) as caught:
        parse_script(data, "s.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_good_script_becomes_frozen_steps() -> None:
    script = parse_script(GOOD.encode(), "s.yaml", name="s")
    stretch, ask, say = script.steps
    assert (stretch.kind, stretch.hold_s, stretch.sets, stretch.rest_s, stretch.both_sides) == \
        (Kind.STRETCH, 30.0, 3, 10.0, True)
    assert (ask.on_no, ask.on_yes, ask.default, ask.wait_s) == (Then.REPEAT, Then.CONTINUE, Answer.NO, 15.0)
    assert say.hold_s is None and script.safety == ("Get help if it lasts.",)
    with pytest.raises(AttributeError):
        stretch.hold_s = 5  # type: ignore[misc]


def test_a_typo_in_a_key_names_the_place_and_the_likely_key() -> None:
    found = problems(GOOD.replace("    hold: 30", "    hodl: 30"))
    assert found[0].startswith("s.yaml:8:5: error: step 1 has an unknown key 'hodl' — did you mean 'hold'?")


def test_a_typo_in_a_step_kind_is_caught() -> None:
    found = problems(GOOD.replace("stretch:", "strech:"))
    assert any("unknown key 'strech'" in p and "did you mean 'stretch'" in p for p in found)


def test_every_problem_of_a_file_is_reported_in_order() -> None:
    text = GOOD.replace("hold: 30", "hold: -5").replace("rest: 10", "rest: lots").replace("wait: 15", "wiat: 15")
    found = problems(text)
    assert [p.split(": error")[0] for p in found] == ["s.yaml:8:11", "s.yaml:10:11", "s.yaml:15:5"]


@pytest.mark.parametrize("hold", ["0", "-1", "601", ".nan", ".inf", "1e9", "yes", "thirty", "[30]", "''"])
def test_holds_must_be_seconds_from_1_to_600(hold: str) -> None:
    found = problems(GOOD.replace("hold: 30", f"hold: {hold}"))
    assert found[0].startswith("s.yaml:8:11: error: step 1's 'hold' should be a number of seconds from 1 to 600")


def test_a_sexagesimal_hold_is_read_as_minutes_and_seconds() -> None:
    script = parse_script(GOOD.replace("hold: 30", "hold: 1:30").encode(), "s.yaml")
    assert script.steps[0].hold_s == 90


@pytest.mark.parametrize(("text", "expected"), [
    ("", "s.yaml:1:1: error: the file is empty"),
    ("   \n# only a comment\n", "s.yaml:1:1: error: the file is empty"),
    ("crampvoice: 1\ntitle: [\n", "s.yaml:3:1: error: YAML syntax"),
    ("just words", "s.yaml:1:1: error: the script should be a mapping"),
    ("a: &x [1]\nb: *x\n", "s.yaml:1:4: error: anchors and aliases"),
    ("crampvoice: 2\ntitle: T\nsteps: [{say: hi}]\n", "s.yaml:1:13: error: this script is format 2"),
    ("title: T\nsteps: [{say: hi}]\n", "s.yaml:1:1: error: the script has no 'crampvoice:' format line"),
    ("crampvoice: 1\ntitle: T\nsteps: []\n", "s.yaml:3:8: error: 'steps' should be a list of one or more"),
    ("crampvoice: 1\ntitle: T\nsteps:\n  - {}\n", "s.yaml:4:5: error: step 1 has no instruction"),
    ("crampvoice: 1\ntitle: T\nsteps:\n  - say: ''\n", "s.yaml:4:10: error: step 1's 'say' should be a sentence"),
    ("crampvoice: 1\ntitle: T\nsteps:\n  - say: a\n    stretch: b\n", "s.yaml:4:5: error: step 1 has 'stretch' and 'say'"),
    ("crampvoice: 1\ntitle: T\ntitle: U\nsteps: [{say: a}]\n", "s.yaml:3:1: error: the script has 'title' twice"),
    ("crampvoice: 1\ntitle: T\nsteps:\n  - say: a\n    repeat: 2\n", "s.yaml:5:13: error: step 1 has 'repeat' but no 'hold'"),
    ("crampvoice: 1\ntitle: T\nsteps:\n  - ask: a?\n    hold: 5\n", "s.yaml:5:11: error: step 1 is a question and cannot have 'hold'"),
    ("crampvoice: 1\ntitle: T\nsteps:\n  - ask: a?\n    no: again\n", "s.yaml:5:9: error: step 1's 'no' cannot be 'again'"),
    ("crampvoice: 1\ntitle: T\nsteps:\n  - say: a\n    no: repeat\n", "s.yaml:5:9: error: step 1 has 'no', which only a question"),
    ("crampvoice: 1\ntitle: !!python/object/apply:os.system [ls]\nsteps: [{say: a}]\n",
     "s.yaml:2:8: error: the tag '!!python/object/apply:os.system' is not allowed"),
    ("crampvoice: 1\ntitle: !custom T\nsteps: [{say: a}]\n", "s.yaml:2:8: error: the tag '!custom' is not allowed"),
    ("--- 1\n--- 2\n", "s.yaml:2:1: error: YAML syntax"),
])
def test_broken_files_get_one_clear_problem(text: str, expected: str) -> None:
    assert problems(text)[0].startswith(expected)


def test_non_utf8_bytes_are_placed_by_line_and_column() -> None:
    assert problems(b"crampvoice: 1\ntitle: caf\xe9\n")[0].startswith("s.yaml:2:11: error: the file is not UTF-8")


def test_random_bytes_are_refused_without_an_exception_escaping() -> None:
    import random

    rng = random.Random(7)
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        assert problems(data)


def test_a_billion_laughs_alias_bomb_is_refused_at_once() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20))
    assert "anchors and aliases" in problems(bomb)[0]


def test_deep_nesting_is_refused_before_the_parser_recurses() -> None:
    assert "nested more than" in problems("[" * 100_000 + "]" * 100_000)[0]
    assert "nested more than" in problems("a:\n" + "".join("  " * i + "b:\n" for i in range(1, 500)))[0]


def test_huge_files_and_too_many_steps_are_refused() -> None:
    assert "larger than 1024 KiB" in problems(b"#" * (MAX_FILE_BYTES + 1))[0]
    many = "crampvoice: 1\ntitle: T\nsteps:\n" + "  - say: a\n" * (MAX_STEPS + 1)
    assert f"at most {MAX_STEPS} are allowed" in problems(many)[0]


def test_spoken_text_has_its_white_space_folded() -> None:
    script = parse_script(b"crampvoice: 1\ntitle: T\nsteps:\n  - say: >\n      Sip   some\n      water.\n", "s")
    assert script.steps[0].text == "Sip some water."


# -- issue 10: hostile characters, ordinary sentences, numbers too long to read ----------------

H = "crampvoice: 1\ntitle: T\nsteps:\n"


@pytest.mark.parametrize(("escape", "named"), [
    ("\\e[2J", "U+001B (escape)"), ("\\e]0;title\\a", "U+001B (escape)"), ("\\x9b", "U+009B"),
    ("\\u202e", "U+202E (right-to-left override)"), ("\\u2066", "U+2066"), ("\\x7f", "U+007F (delete)"),
])
def test_a_control_character_written_as_an_escape_is_refused_by_name(escape: str, named: str) -> None:
    found = problems(H + f'  - say: "Breathe{escape} slowly."\n')
    assert found[0].startswith(f"s.yaml:4:10: error: step 1's 'say' has a control character, {named}")


@pytest.mark.parametrize("raw", [b"\x1b", b"\x07", b"\x7f", "\u009b".encode()])
def test_a_raw_control_character_is_a_problem_at_its_place_not_an_exception(raw: bytes) -> None:
    found = problems(H.encode() + b"  - say: Breathe" + raw + b" slowly.\n")
    assert found[0].startswith("s.yaml:4:17: error: the file has a control character, U+00")


def test_problems_never_print_a_control_character_from_the_file() -> None:
    found = problems('crampvoice: 1\ntitle: T\n"bad\\e[2Jkey": 1\nsteps: [{say: a, sides: "\\e]0;x\\a"}]\n')
    assert found and all(c.isprintable() for line in found for c in line)
    assert "bad\\x1b[2Jkey" in found[0]


def test_a_sentence_with_a_colon_gets_the_hint_to_put_it_in_quotes() -> None:
    found = problems(H + "  - say: Remember: breathe slowly.\n")
    assert found == ['s.yaml:4:18: error: YAML syntax: mapping values are not allowed here — '
                     'put the sentence in double quotes: say: "Remember: breathe slowly."']
    safety = problems("crampvoice: 1\ntitle: T\nsafety:\n  - Note: call for help.\nsteps: [{say: a}]\n")
    assert "goes in double quotes" in safety[0]


def test_a_comment_one_space_after_a_sentence_is_warned_about_two_spaces_are_a_comment() -> None:
    script, warnings = read_script((H + "  - say: Take the tablet #2 with water\n  - say: Rest.  # a note\n").encode(),
                                   "s.yaml")
    assert script.steps[0].text == "Take the tablet"
    assert [str(w) for w in warnings] == [
        "s.yaml:4:10: warning: step 1's 'say' stops before ' #': the rest of that line is a comment and is not "
        "said — to say it, put the whole sentence in double quotes; for a comment, leave two spaces before the '#'"]


def test_a_quoted_number_is_the_number_and_yaml_booleans_are_the_words_written() -> None:
    script = parse_script((b"crampvoice: 1\ntitle: On\nsteps:\n  - stretch: Yes\n    hold: \"30\"\n"
                           b"    repeat: '2'\n  - say: no\n"), "s.yaml")
    assert (script.title, script.steps[0].text, script.steps[0].hold_s, script.steps[0].sets) == ("On", "Yes", 30, 2)
    assert script.steps[1].text == "no"


def test_an_integer_too_long_for_python_is_out_of_range_with_a_short_message() -> None:
    found = problems(H + "  - stretch: a\n    hold: " + "9" * 5000 + "\n")
    assert found[0].startswith("s.yaml:5:11: error: step 1's 'hold' should be a number of seconds from 1 to 600")
    assert len(found[0]) < 200


def test_words_in_a_script_point_to_the_settings_file() -> None:
    found = problems("crampvoice: 1\ntitle: T\nwords:\n  next: [nek]\nsteps: [{say: a}]\n")
    assert found[0].startswith("s.yaml:3:1: error: the script has an unknown key 'words' — a person's own words")
    assert "settings" in found[0]


def ear_warnings(text: str) -> list[str]:
    return [str(w) for w in read_script(text.encode(), "s.yaml")[1]]


def test_what_is_hard_to_follow_by_ear_is_warned_about_where_it_is_written() -> None:
    found = ear_warnings(
        "crampvoice: 1\ntitle: T\nsafety:\n  - If it is bad, call 911 now.\nsteps:\n"
        "  - stretch: Pull your toes up, then hold them, then breathe out.\n    hold: 30\n"
        "  - massage: Rub the calf for 10-15 seconds.\n    hold: 12\n"
        "  - heat: Put a warm towel on it for two minutes.\n    hold: 60\n"
        "  - say: Drink 1/2 a glass of water 2x.\n")
    assert found == [
        "s.yaml:4:5: warning: a safety note: '911' is said as an amount, not digit by digit — "
        "write a number to call as it is dialled: '9 1 1'",
        "s.yaml:6:14: warning: step 1's 'stretch': one sentence gives 3 instructions — "
        "give each instruction a sentence of its own, or a step of its own",
        "s.yaml:8:14: warning: step 2's 'massage': '10-15' is said with a dash in it — write 'ten to fifteen'",
        "s.yaml:8:14: warning: step 2's 'massage': the sentence names 15 seconds, but the hold is 12 — "
        "make 'hold:' the time the sentence names, or leave the time out of the sentence",
        "s.yaml:10:11: warning: step 3's 'heat': the sentence names 120 seconds, but the hold is 60 — "
        "make 'hold:' the time the sentence names, or leave the time out of the sentence",
        "s.yaml:12:10: warning: step 4's 'say': '1/2' is said with 'slash' — write 'half', 'a quarter'",
        "s.yaml:12:10: warning: step 4's 'say': '2x' is not said as a time or a count — "
        "write the words out: 'thirty seconds', 'two minutes', 'twice'"]


@pytest.mark.parametrize("sentence", [
    "Pull your toes up, then hold them.",  # one "then": two steps of one movement
    "Hold it for half a minute.",  # hold: 30
    "Keep going for 30 seconds, then rest.",
    "Take a second to breathe in.",  # no length named
    "Count to 120 if it helps.",  # a long number, but not one to call
    " ".join(["word"] * 25) + ".",
])
def test_what_is_easy_to_follow_by_ear_gets_no_warning(sentence: str) -> None:
    assert ear_warnings(f"crampvoice: 1\ntitle: T\nsteps:\n  - stretch: \"{sentence}\"\n    hold: 30\n") == []


def test_a_sentence_one_word_too_long_is_warned_about() -> None:
    long = " ".join(["word"] * 26) + "."
    assert ear_warnings(f"crampvoice: 1\ntitle: T\nsteps:\n  - say: {long}\n") == [
        "s.yaml:4:10: warning: step 1's 'say': a sentence of 26 words is hard to follow by ear — "
        "split it into sentences of 25 words or fewer"]


def test_everything_the_program_says_in_its_own_words_is_easy_to_follow_by_ear() -> None:
    from crampvoice.core import phrases
    from crampvoice.core.ear import hard_to_follow

    constants = [v for k, v in vars(phrases).items() if k.isupper()]
    said = [v for v in constants if isinstance(v, str)]
    said += [line for v in constants if isinstance(v, tuple) for line in v if isinstance(line, str)]
    assert len(said) > 20
    assert {text: hard_to_follow(text) for text in said if hard_to_follow(text)} == {}
