"""The diary shown and exported: a table, a weekly summary, CSV and JSON (and both read back)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import datetime, timedelta

from ..core.printable import printable
from ..core.safety import RULES, Span, rules_met
from .store import Episode

FIELDS = tuple(f.name for f in fields(Episode))
_TEXT = ("script", "title", "muscle", "ended", "eased", "commands", "advised")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run a cell starting so


def when(started: float) -> str:
    """Local time, to the millisecond, with its offset: what a spreadsheet and a doctor read."""
    return datetime.fromtimestamp(started).astimezone().isoformat(timespec="milliseconds")


def _from_when(text: str) -> float:
    return round(datetime.fromisoformat(text).timestamp(), 3)


def length(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


# -- CSV and JSON ------------------------------------------------------------------------------

def _record(episode: Episode) -> dict[str, object]:
    record = asdict(episode)
    record["started"] = when(episode.started)
    return record


_NONE_GIVEN = ("eased", "commands", "advised")  # in JSON, null when empty: nobody answered, no command, no advice


def to_json(episodes: Sequence[Episode]) -> str:
    records = [{k: None if k in _NONE_GIVEN and v == "" else v for k, v in _record(e).items()} for e in episodes]
    return json.dumps(records, ensure_ascii=False, indent=1) + "\n"


def from_json(text: str) -> list[Episode]:
    return [_parsed(record) for record in json.loads(text)]


def to_csv(episodes: Sequence[Episode]) -> str:
    """One row an episode, a header row first; opens in a spreadsheet as it is (and runs no formula)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for episode in episodes:
        record = _record(episode)
        writer.writerow(["'" + str(v) if k in _TEXT and str(v).startswith(_FORMULA) else v
                         for k, v in record.items()])
    return out.getvalue()


def from_csv(text: str) -> list[Episode]:
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        for key in _TEXT:
            if row[key].startswith("'") and row[key][1:].startswith(_FORMULA):
                row[key] = row[key][1:]
    return [_parsed(dict(row)) for row in rows]


def _parsed(record: dict[str, object]) -> Episode:
    r = {k: "" if record[k] is None else str(record[k]) for k in FIELDS}
    return Episode(id=int(r["id"]), started=_from_when(r["started"]), length_s=float(r["length_s"]),
                   script=r["script"], title=r["title"], muscle=r["muscle"],
                   relief=r["relief"] in ("True", "true", "1"), ended=r["ended"], step=int(r["step"]),
                   steps=int(r["steps"]), eased=r["eased"], commands=r["commands"], unheard=int(r["unheard"]),
                   advised=r["advised"])


# -- on the screen -------------------------------------------------------------------------------

def table(episodes: Sequence[Episode]) -> list[str]:
    lines = [f"{'when':<17} {'script':<10} {'muscle':<14} {'length':>6}  {'ended':<11} {'steps':<6} "
             f"{'eased':<6} commands"]
    for e in episodes:
        started = datetime.fromtimestamp(e.started).strftime("%Y-%m-%d %H:%M")
        how = Counter(c.split(":")[-1] for c in e.commands.split())
        commands = ", ".join(f"{n} by {by}" for by, n in sorted(how.items())) or "none"
        lines.append(printable(f"{started:<17} {e.script[:10]:<10} {e.muscle[:14]:<14} {length(e.length_s):>6}  "
                               f"{e.ended:<11} {f'{e.step}/{e.steps}':<6} {e.eased or '-':<6} {commands}"))
    return lines


def week_start(now: float) -> datetime:
    """Monday 00:00, local time, of the week holding `now`."""
    today = datetime.fromtimestamp(now).astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=today.weekday())


def summary(episodes: Sequence[Episode], now: float, weeks: int = 5) -> list[str]:
    """This week and the four before: how many, which muscles, how long, what ended them, how many eased.

    `episodes` must hold at least those of the last `weeks` weeks.
    """
    lines = []
    monday = week_start(now)
    for back in range(weeks):
        start = monday - timedelta(weeks=back)
        end = start + timedelta(weeks=1)
        week = [e for e in episodes if start.timestamp() <= e.started < end.timestamp()]
        label = "this week" if back == 0 else "last week" if back == 1 else f"{back} weeks ago"
        head = f"Week of {start:%a %d %b %Y} ({label}): "
        if not week:
            lines.append(head + "no episodes.")
            continue
        muscles = Counter(e.muscle or e.script or "?" for e in week)
        ended = Counter(e.ended for e in week)
        answered = [e for e in week if e.relief]
        lines.append(printable(
            head + f"{len(week)} episode{'s' if len(week) != 1 else ''}; "
            + ", ".join(f"{m} {n}" for m, n in muscles.most_common()) + "; "
            + f"{length(sum(e.length_s for e in week))} in all, longest {length(max(e.length_s for e in week))}; "
            + "ended: " + ", ".join(f"{n} {how}" for how, n in ended.most_common()) + "; "
            + f"eased: {sum(e.eased == 'yes' for e in answered)} of {len(answered)}."))
    lines.extend(rules_lines(episodes, now))
    return lines


def rules_lines(episodes: Sequence[Episode], now: float) -> list[str]:
    """Which rule of core/safety.py the diary meets now, and when "see a doctor" was last said."""
    met = rules_met([Span(e.started, e.length_s) for e in episodes if e.relief], now)
    if met:
        lines = ["It would be worth seeing a doctor about these cramps. Rule met: "
                 + "; ".join(rule.says for rule in met) + "."]
    else:
        lines = ["No rule for seeing a doctor is met now (" + "; ".join(rule.says for rule in RULES) + ")."]
    advised = [e for e in episodes if e.advised]
    if advised:
        last = max(advised, key=lambda e: e.started)
        lines.append(f"Last said at the end of the session of {datetime.fromtimestamp(last.started):%a %d %b %Y %H:%M}"
                     f" ({last.advised}).")
    return lines
