"""Everything the program says in its own words, written to be heard. Core module.

Numbers are spelled out ("thirty seconds", "set two of three") so that what is
printed is exactly what is spoken, and any voice says it naturally.
"""

from __future__ import annotations

from dataclasses import dataclass

from .script import Kind

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number(n: int) -> str:
    """0..999 in words: 45 -> 'forty-five'."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + (f" and {number(rest)}" if rest else "")


def duration(seconds: float) -> str:
    """A length of time as a person says it: 30 -> 'thirty seconds', 90 -> 'a minute and a half'."""
    s = round(seconds)
    if s == 1:
        return "one second"
    if s < 60 or (s < 120 and s % 60 not in (0, 30)):
        return f"{number(s)} seconds"
    minutes, rest = divmod(s, 60)
    whole = "a minute" if minutes == 1 else f"{number(minutes)} minutes"
    if rest == 0:
        return whole
    if rest == 30:
        return f"{whole} and a half"
    return f"{whole} and {number(rest)} seconds"


def times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{number(n)} times")


_HOLD_VERB = {
    Kind.STRETCH: "Hold it for {}.",
    Kind.MOVE: "Keep going for {}.",
    Kind.MASSAGE: "Keep going for {}.",
    Kind.HEAT: "Leave it there for {}.",
    Kind.SAY: "Take {}.",
}
_END_CUE = {
    Kind.STRETCH: "And slowly release.",
    Kind.MOVE: "And stop.",
    Kind.MASSAGE: "And stop.",
    Kind.HEAT: "You can take it away now.",
    Kind.SAY: "Good.",
}


def hold(kind: Kind, seconds: float) -> str:
    return _HOLD_VERB[kind].format(duration(seconds))


def end_of_hold(kind: Kind) -> str:
    return _END_CUE[kind]


INTRO_GUIDE = "I am a guide, not a doctor."  # said at a person's first session only; always in --help
GUIDE_NOTE = ("crampvoice is a guide, not a doctor. Get medical help if a cramp does not ease in about ten "
              "minutes, or the leg is swollen, red, warm, numb or weak. 'emergency' (the e key) says when to "
              "call your emergency number.")
NOT_EASING = "It has been ten minutes, and the cramp has not eased. Here is when to get medical help."
TEACH_TIP = ("One more thing, for next time: crampvoice teach learns your own voice in about two minutes, "
             "and then hears you far better.")
SEE_A_DOCTOR = "It would be worth seeing a doctor about these cramps."
NO_SAFETY_NOTES = (
    "Get medical help if the cramp does not ease after about ten minutes, or the leg is "
    "swollen, red, warm or numb.",
)
RED_FLAGS = (
    "If a cramp does not ease after about ten minutes, get medical help.",
    "Pain in one leg with swelling, warmth or redness can be a blood clot. Get urgent "
    "medical help.",
    "If you are also short of breath or have chest pain, call your emergency number now, "
    "such as 9 9 9, 9 1 1 or 1 1 2.",
    "Numbness or weakness in the leg, or cramps after a dirty wound, also need a doctor.",
)
SET_COUNT = "We will do this {}."
BOTH_SIDES = "Start with one leg."
SWITCH_SIDES = "Switch sides."
SET_OF = "Set {} of {}."
REST = "Rest for {}."
HALFWAY = "Halfway."
ONE_MINUTE_LEFT = "One minute left."
NO_ANSWER = "No answer, so I will take that as {}."
ROUND_AGAIN = "Let us go through the steps again."
ROUNDS_DONE = ("We have been through the steps {} now. If the cramp has not eased after about "
               "ten minutes, please get medical help.")
THE_END = "That is the end of the routine. Rest the leg. If the cramp comes back, you can start again."
STOPPED = "Stopping now. Take care."
# Said by the speaker itself when its speech gives out (the last thing it can say) and comes back.
SPEECH_LOST = "My voice has stopped working, so the guide carries on as text on the screen."
SPEECH_BACK = "My voice is working again."
STILL_PAUSED = "Still paused."
RESUMED = "Carrying on."
LEFT = "{} left."
NOTHING_TIMED = "Nothing is being timed right now."
NOT_PAUSED = "We are not paused."
NO_QUESTION = "There is no question right now."
FIRST_STEP = "This is the first step."
ASLEEP = "I will not act on what I hear until you say wake up. Keys still work."
AWAKE = "I am listening again."
SETTING = {
    "rate": ("Speaking slower.", "Speaking faster.", "That is as slow as I go.", "That is as fast as I go."),
    "volume": ("Quieter.", "Louder.", "That is as quiet as I go.", "That is as loud as I go."),
}
SCAN_PAUSED = "Paused. Press the switch again when you want to choose."
SCAN_OFFER = "{}?"


@dataclass(frozen=True, slots=True)
class Hints:
    """What to do next, named in the way the person answers: words to say, keys, or the one switch."""

    answer: str  # after a question
    paused: str
    confirm_stop: str
    emergency_pause: str
    help: str


HINTS = {
    "voice": Hints(
        "Say yes or no.",
        "Paused. Say carry on when you are ready.",
        "Do you want to stop? Say yes to stop, or no to carry on.",
        "I have paused. Say carry on when you are ready.",
        "You can say: next, back, repeat, pause, carry on, stop, time, help, or emergency. "
        "Also slower, faster, louder, quieter, go to sleep, and wake up."),
    "keys": Hints(
        "Press y for yes or n for no.",
        "Paused. Press c to carry on when you are ready.",
        "Do you want to stop? Press y to stop, or n to carry on.",
        "I have paused. Press c to carry on when you are ready.",
        "Keys: Enter for next, b back, r repeat, p pause, c carry on, s stop, t time left, h help, "
        "e emergency. Space is the one switch."),
    "switch": Hints(
        "Press the switch, then again at yes or no.",
        "Paused. Press the switch when you are ready.",
        "Do you want to stop? Press the switch, then again at yes or no.",
        "I have paused. Press the switch when you are ready.",
        "Press the switch: it pauses, then offers each choice in turn. Press it again to choose."),
}


def count(n: int, noun: str) -> str:
    """'1 word', '3 words': figures for printed summaries."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
