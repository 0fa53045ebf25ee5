"""The episode diary: the SQLite file and its making (`file.py`), episodes written and read
(`store.py`), and how they are shown (`view.py`: table, CSV, JSON, summary; `plot.py`)."""

from .file import SCHEMA_VERSION, DiaryError
from .store import Diary, DiarySink, Episode, diary_path

__all__ = ["SCHEMA_VERSION", "Diary", "DiaryError", "DiarySink", "Episode", "diary_path"]
