"""`crampvoice diary`: past episodes, a summary, export, erasing. Parse, call the library, render."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..core.errors import CrampvoiceError
from ..core.events import Arrival, DeviceFailed
from ..core.printable import brief
from ..core.safety import WEEK_S, History
from ..diary import Diary, DiaryError, DiarySink, diary_path
from ..diary import view as diaryview
from ..view import TextView
from .profile import option

RECENT = 20  # episodes in the table when no --since is given


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diary = sub.add_parser("diary", help="past episodes: a table, --csv or --json for a doctor; summary, forget, plot")
    diary.add_argument("--since", type=_date, metavar="DATE", help="only episodes from this day on (YYYY-MM-DD)")
    form = diary.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help="every episode as CSV (opens in a spreadsheet)")
    form.add_argument("--json", action="store_true", help="every episode as JSON")
    option(diary)
    diary.set_defaults(handler=cmd_diary)
    verbs = diary.add_subparsers(dest="verb", metavar="[summary | forget | plot]")
    summary = verbs.add_parser("summary", help="this week and the four before, and which rule for a doctor is met")
    option(summary)
    summary.set_defaults(handler=cmd_summary)
    forget = verbs.add_parser("forget", help="erase episodes for good (asks first)")
    which = forget.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every episode")
    which.add_argument("--before", type=_date, metavar="DATE", help="episodes begun before this day (YYYY-MM-DD)")
    forget.add_argument("--yes", action="store_true", help="do not ask (for scripts)")
    option(forget)
    forget.set_defaults(handler=cmd_forget)
    plot = verbs.add_parser("plot", help="episodes over time and their length, as a PNG or SVG picture")
    plot.add_argument("-o", "--output", required=True, metavar="FILE.png|svg")
    plot.add_argument("--since", dest="plot_since", type=_date, metavar="DATE", help="only from this day on")
    option(plot)
    plot.set_defaults(handler=cmd_plot)


@dataclass(frozen=True, slots=True)
class ForSession:
    """The diary as a session uses it: where its events go, what it knew of earlier episodes at the
    start, and how to read that again at the end (with sessions that ended meanwhile)."""

    sink: DiarySink
    history: History

    def recall(self) -> History | None:
        try:
            return self.sink.diary.history(time.time(), excluding=self.sink.episode)
        except DiaryError:  # gone or broken since the start: what was known then stands
            return None


def for_session(stack: ExitStack, started_at: float, put: Callable[[Arrival], None],
                view: TextView) -> ForSession | None:
    """The diary's part in a new session; or, said in one line, none."""
    try:
        diary = Diary.open()
        stack.callback(diary.close)
        history = diary.history(time.time())
    except DiaryError as e:
        view.line(f"The diary is off: {e.message}; {e.hint}. This session goes on, and is not kept.")
        return None
    return ForSession(diary.begin(started_at, notify=lambda message: put(DeviceFailed(message))), history)


def _date(text: str) -> float:
    """YYYY-MM-DD (local midnight) or an ISO date and time, as wall-clock seconds."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{brief(repr(text))} is not a date: give it as YYYY-MM-DD, "
                                         "e.g. 2026-11-01") from None
    return moment.astimezone().timestamp()


def _open(write: bool = False) -> Diary | None:
    """The diary, read only unless `write`; None, said, when there is none yet."""
    diary = Diary.read()
    if diary is None:
        print(f"No diary yet: each session is kept in {diary_path()} from the first one on.")
    elif write:
        diary.close()
        return Diary.open(diary.path)
    return diary


def cmd_diary(args: argparse.Namespace) -> int:
    diary = _open()
    if diary is None:
        return 0
    with diary:
        everything = args.csv or args.json or args.since is not None
        episodes = diary.episodes(since=args.since, limit=None if everything else RECENT + 1)
    if args.csv:
        sys.stdout.write(diaryview.to_csv(episodes))
    elif args.json:
        sys.stdout.write(diaryview.to_json(episodes))
    else:
        shown = episodes if everything else episodes[:RECENT]
        for line in diaryview.table(shown):
            print(line)
        if len(episodes) > len(shown):
            print(f"Only the last {RECENT} are shown: --since DATE for more, --csv or --json for all.")
        if not episodes:
            print("No episodes" + (" since then." if args.since is not None else " yet."))
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    diary = _open()
    if diary is None:
        return 0
    now = time.time()
    with diary:
        since = min(diaryview.week_start(now).timestamp() - 4 * WEEK_S, now - WEEK_S)
        episodes = diary.episodes(since=since)
    for line in diaryview.summary(episodes, now):
        print(line)
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    diary = _open(write=True)
    if diary is None:
        return 0
    with diary:
        every = diary.episodes(since=None)
        doomed = len(every) if args.all else sum(e.started < args.before for e in every)
        if doomed == 0:
            print(f"Nothing to erase: the diary has no {'episodes' if args.all else 'episodes before then'}.")
            return 0
        episodes = f"{doomed} episode{'s' if doomed != 1 else ''}"
        which = f"every episode ({episodes})" if args.all else f"the {episodes} begun before {_instant(args.before)}"
        if not args.yes:
            if sys.stdin is None or not sys.stdin.isatty():
                raise CrampvoiceError("'diary forget' asks before erasing, and there is no terminal to ask on",
                                      f"add --yes to erase {which} without asking")
            answer = input(f"Erase {which} from {diary.path}, for good? It cannot be undone. Type yes to erase: ")
            if answer.strip() != "yes":
                print("Nothing was erased" + (" (only 'yes' erases)." if answer.strip() else "."))
                return 0
        gone = diary.forget(None if args.all else args.before)
    print(f"Erased {gone} episode{'s' if gone != 1 else ''}" +
          ("." if args.all else f", every one begun before {_instant(args.before)}."))
    return 0


def _instant(seconds: float) -> str:
    """The exact local instant, with its offset from UTC: '2026-12-06 20:12:00+01:00'."""
    return datetime.fromtimestamp(seconds).astimezone().isoformat(sep=" ")


def cmd_plot(args: argparse.Namespace) -> int:
    from ..diary.plot import plot

    output = Path(args.output)
    if output.suffix.lower() not in (".png", ".svg"):
        raise CrampvoiceError(f"{output} is neither .png nor .svg", "name the picture FILE.png or FILE.svg")
    diary = _open()
    if diary is None:
        return 0
    with diary:
        episodes = diary.episodes(since=args.plot_since)
    plot(episodes, output)
    print(f"Wrote {output}: {len(episodes)} episode{'s' if len(episodes) != 1 else ''}.")
    return 0
