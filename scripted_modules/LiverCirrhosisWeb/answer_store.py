"""Reader answers in SQLite, shared by every reader session: WAL (readers never block the writer), one
transaction per answer synced to disk before it is acknowledged, and at most one answer per (reader, case).

A crash mid-answer leaves the previous answers intact (SQLite's journal), and a second submission of the same
case (two tabs, a retried click) is refused by the UNIQUE constraint instead of stored twice."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import astuple
from pathlib import Path

from .study_records import COLUMNS, ReaderAnswer, read_legacy_csv

_TYPES = {"reader_confidence": "INTEGER NOT NULL", "p_none": "REAL", "p_mild": "REAL", "p_moderate": "REAL",
          "p_severe": "REAL", "seconds_spent": "REAL", "mask_edited": "INTEGER NOT NULL", "model_demonstration_only": "INTEGER NOT NULL"}
_SCHEMA = ("CREATE TABLE IF NOT EXISTS answers (id INTEGER PRIMARY KEY, "
           + ", ".join(f"{name} {_TYPES.get(name, 'TEXT NOT NULL')}" for name in COLUMNS)
           + ", UNIQUE (reader_id, case_id))")


class AnswerStore:
    """One connection per process (sessions are processes); SQLite serialises the writers."""

    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are opened explicitly, one per answer.
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._set_up()

    def _set_up(self, attempts: int = 300) -> None:
        """WAL mode and the schema. Several sessions opening a new file at once can meet SQLite's lock-upgrade
        deadlock guard, which fails at once instead of waiting on the busy timeout: try again for up to ~30 s."""
        for attempt in range(attempts):
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")   # an acknowledged answer survives a power cut too
                self._db.execute(_SCHEMA)
                self._add_missing_columns()
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == attempts - 1:
                    raise
                time.sleep(0.1)

    def _add_missing_columns(self) -> None:
        """A database made before a column existed (p_none came with the "none" stage) gets it, empty."""
        present = {row["name"] for row in self._db.execute("PRAGMA table_info(answers)")}
        for name in COLUMNS:
            if name not in present:
                self._db.execute(f"ALTER TABLE answers ADD COLUMN {name} {_TYPES.get(name, 'TEXT')}")

    def close(self) -> None:
        self._db.close()

    def add(self, answer: ReaderAnswer) -> bool:
        """Store one answer in its own transaction; False when this reader already answered this case."""
        placeholders = ", ".join("?" for _ in COLUMNS)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            cursor = self._db.execute(
                f"INSERT INTO answers ({', '.join(COLUMNS)}) VALUES ({placeholders}) "
                "ON CONFLICT (reader_id, case_id) DO NOTHING", astuple(answer))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return cursor.rowcount == 1

    def answers(self, reader_id: str | None = None) -> list[dict]:
        """Every answer (or one reader's) in the order given, as the dicts `agreement_summary` reads."""
        query = f"SELECT {', '.join(COLUMNS)} FROM answers"
        rows = (self._db.execute(query + " WHERE reader_id = ? ORDER BY id", (reader_id,)) if reader_id is not None
                else self._db.execute(query + " ORDER BY id"))
        return [_typed(dict(row)) for row in rows]

    def answered_cases(self, reader_id: str) -> dict[str, dict]:
        """case_id -> this reader's answer."""
        return {row["case_id"]: row for row in self.answers(reader_id)}

    def import_csv(self, csv_path) -> int:
        """Migrate an answers CSV written by earlier versions (torn or duplicate rows skipped); returns how many
        answers were new. Safe to repeat: rows already in the database are not added again."""
        rows = read_legacy_csv(csv_path)
        added = 0
        for answer in rows:
            added += self.add(answer)
        return added


def _typed(row: dict) -> dict:
    for name in ("mask_edited", "model_demonstration_only"):
        row[name] = bool(row[name])
    return row
