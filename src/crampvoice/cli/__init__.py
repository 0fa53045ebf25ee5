"""The `crampvoice` command: each command's arguments, its call into the library, and what it
prints. `app.py` holds the parser and the session's wiring; the others a family of commands
each (`diary`, `profile`, `share`: export and import, `voice`: teach and words, `standby`),
and `doctor.py` the checks of `crampvoice doctor`."""

from .app import main

__all__ = ["main"]
