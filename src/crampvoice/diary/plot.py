"""`crampvoice diary plot`: episodes over time and their length, drawn by matplotlib (an optional extra)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ..core.errors import DeviceError
from .store import Episode

INSTALL = "pip install 'crampvoice[plot]'  (in this project: .venv/bin/pip install -e '.[plot]')"
_MARKS = {"completed": "o", "stopped": "s", "interrupted": "x", "unfinished": "^"}


def plot(episodes: Sequence[Episode], output: Path) -> None:
    """A PNG or SVG (by the file's suffix): each episode a mark at its start, as high as it lasted."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no window, no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        raise DeviceError("drawing the diary needs matplotlib, which is not installed",
                          f"install it with: {INSTALL}") from None
    figure, axes = plt.subplots(figsize=(9, 4), layout="constrained")
    for ended, mark in _MARKS.items():
        chosen = [e for e in episodes if e.ended == ended]
        if chosen:
            axes.scatter([e.started / 86400 for e in chosen],  # days since 1970: matplotlib's dates
                         [e.length_s / 60 for e in chosen], marker=mark, label=f"{ended} ({len(chosen)})")
    axes.xaxis_date(datetime.now().astimezone().tzinfo)  # shown in local time
    axes.axhline(10, linestyle="--", linewidth=1, color="grey")
    axes.annotate("longer than ten minutes: worth seeing a doctor", (0.01, 10), xycoords=("axes fraction", "data"),
                  textcoords="offset points", xytext=(0, 3), fontsize=8, color="grey")
    axes.set_ylabel("length (minutes)")
    axes.set_ylim(bottom=0)
    axes.set_title(f"Cramp episodes: {len(episodes)}")
    if episodes:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, title="how it ended", title_fontsize=8)
    figure.autofmt_xdate()
    try:
        figure.savefig(output)
    except OSError as e:
        raise DeviceError(f"cannot write {output} ({e.strerror or e})", "give a path in a folder you can write to") \
            from None
    finally:
        plt.close(figure)
