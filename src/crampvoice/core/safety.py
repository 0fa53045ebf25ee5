"""When to say "see a doctor": the frequency rule and the ten-minute rule, in one place. Core module.

Times are plain seconds on one axis that the caller chooses: the session passes its monotonic
clock (earlier episodes placed before its start), the diary passes wall-clock seconds. Nothing
here reads a clock.

The rules, as data so that the summary and the docs read the same table:

- frequent: three or more episodes whose start lies within the last seven days (this one included);
- long: an episode in the last seven days that lasted more than ten minutes (this one included).

At the end of a session that meets either, "It would be worth seeing a doctor about these cramps"
is said, at most once in seven days. Separately, a session that has gone on ten minutes without
the person saying the cramp eases says so and names the red flags, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

WEEK_S = 7 * 24 * 3600.0
LONG_S = 10 * 60.0  # an episode longer than this is "long"; a session this old, not eased, says so
FREQUENT = 3  # this many episodes within WEEK_S is "frequent"


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    says: str  # how the summary names it


RULES = (
    Rule("frequent", "three or more episodes in seven days"),
    Rule("long", "an episode longer than ten minutes in the last seven days"),
)


@dataclass(frozen=True, slots=True)
class Span:
    """An episode on the caller's time axis: when it began and how long it lasted."""

    start: float
    length_s: float


def rules_met(episodes: Sequence[Span], now: float) -> tuple[Rule, ...]:
    """The rules that the episodes met as of `now` (episodes starting after `now` are ignored)."""
    recent = [e for e in episodes if now - WEEK_S < e.start <= now]
    met = []
    if len(recent) >= FREQUENT:
        met.append(RULES[0])
    if any(e.length_s > LONG_S for e in recent):
        met.append(RULES[1])
    return tuple(met)


def may_advise(last_advised: float | None, now: float) -> bool:
    """Advice is said at most once in seven days."""
    return last_advised is None or now - last_advised >= WEEK_S


@dataclass(frozen=True, slots=True)
class History:
    """What the diary knows before a session begins, in seconds before that session's start.

    `past` are earlier relief episodes (sessions of a script that asks whether the cramp eases).
    A session with no diary gets `History()`: nothing past, and the "guide, not a doctor" note said.
    """

    past: tuple[Span, ...] = ()  # start: seconds before this session began (negative), length_s
    advised_at: float | None = None  # when the advice was last said, on the same axis (negative)
    first_session: bool = True

    def shifted(self, start: float) -> History:
        """The same history with this session beginning at `start` on the caller's clock."""
        return History(tuple(Span(start + p.start, p.length_s) for p in self.past),
                       None if self.advised_at is None else start + self.advised_at, self.first_session)


@dataclass(slots=True)
class Watch:
    """The rules over one relief session as it runs, on its clock: when ten minutes without easing
    are due, and at its end whether to say the advice."""

    history: History = field(default_factory=History)
    started_at: float = 0.0
    ten_minutes_said: bool = False
    recalled: bool = False  # the diary read again at the end (`Recall`)
    weighed: bool = False  # the advice weighed, said or not

    def start(self, now: float) -> None:
        self.started_at, self.history = now, self.history.shifted(now)

    def ten_minutes_at(self) -> float | None:
        """When a session not eased by then says so and names the red flags (once)."""
        return None if self.ten_minutes_said else self.started_at + LONG_S

    def recall(self, history: History | None, now: float) -> None:
        """The diary as read again at `now`; None: what was known at the start stands."""
        self.recalled = True
        if history is not None:
            self.history = history.shifted(now)

    def advice(self, now: float) -> tuple[Rule, ...]:
        """Weighed once, at the end: the rules met, if the advice is due; () if it is not."""
        self.weighed = True
        met = rules_met((*self.history.past, Span(self.started_at, now - self.started_at)), now)
        return met if met and may_advise(self.history.advised_at, now) else ()
