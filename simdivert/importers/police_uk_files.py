"""Reading police.uk stop-and-search files: which files, their rows, their dates.

The police.uk open data publishes one CSV per force and month, named
``YYYY-MM-<force>-stop-and-search.csv`` (in the monthly archive, inside a ``YYYY-MM/``
folder beside the street-crime and outcomes files). A file has no force column: the
force is in its name. Files given one by one must be the chosen force's; a folder (the
archive of every force) is searched for the chosen force's files only.

A file that cannot be used (not UTF-8, not CSV, not police.uk's columns, another
force's, a month given twice) stops the import with one line naming the file and line.
Rows that cannot be used (no date, a date in no known format) are dropped and counted,
naming the first of each kind; the rest is the data-quality summary's business.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simdivert.errors import UserError

COLUMNS = (
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
)
# The columns the derivations read (the others are checked to be there, not read).
USED_COLUMNS = (
    "Date",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
)
FILE_SUFFIX = "-stop-and-search.csv"
_FILE_NAME = re.compile(r"(\d{4})-(\d{2})-(.+)" + re.escape(FILE_SUFFIX))
FIRST_DATA_LINE = 2  # line 1 is the header
UTF8_BOM = b"\xef\xbb\xbf"
ISO_LENGTHS = (19, 20, 25)  # 2023-04-05T14:30:00, then Z or +01:00

# Dates as police.uk writes them (ISO 8601, local time with its offset) and as a
# spreadsheet may have re-saved them (day first). The written hour is the local hour.
_ISO_DATE = (
    r"^\s*(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[T ](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?:Z|[+-]\d{2}:?\d{2})?\s*$"
)
_DAY_FIRST_DATE = (
    r"^\s*(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})"
    r"(?:[T ](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?\s*$"
)


def force_slug(name: str) -> str:
    """A force's name as police.uk writes it in file names: ``West Midlands`` ->
    ``west-midlands``."""
    return "-".join(re.findall(r"[a-z0-9]+", name.lower()))


@dataclass(frozen=True)
class DroppedRows:
    """Rows left out for one reason, and where the first of them is."""

    reason: str
    rows: int
    first: str  # "file.csv line 17"


@dataclass
class Searches:
    """Every usable row of the files read, one row per stop and search.

    ``frame`` holds the police.uk columns used (``USED_COLUMNS``) plus ``file``, ``line``, ``date``
    (midnight of the day), ``month`` (``YYYY-MM``), ``weekday`` (0 is Monday) and
    ``hour`` (the local hour, NaN where the row has a date only or is stamped at
    exactly midnight, as police.uk stamps rows whose time is not known).
    """

    frame: pd.DataFrame
    files: list[Path]
    dropped: list[DroppedRows] = field(default_factory=list)
    other_force_files: int = 0  # in a folder: other forces' files, not read
    rows_read: int = 0

    @property
    def months(self) -> list[str]:
        """The months with at least one search, in order."""
        return sorted(self.frame["month"].unique())

    @property
    def missing_months(self) -> list[str]:
        """Months between the first and the last with no search at all."""
        months = self.months
        if not months:
            return []
        span = pd.period_range(months[0], months[-1], freq="M").strftime("%Y-%m")
        return [m for m in span if m not in set(months)]

    @property
    def rows_without_time(self) -> int:
        return int(self.frame["hour"].isna().sum())


def find_files(inputs: Sequence[Path], force: str) -> tuple[list[Path], int]:
    """The force's stop-and-search files among files and folders, in name order, and how
    many other forces' files the folders held."""
    slug = force_slug(force)
    files: list[Path] = []
    other_forces = 0
    for given in inputs:
        if given.is_dir():
            for path in sorted(given.rglob(f"*{FILE_SUFFIX}")):
                match = _FILE_NAME.fullmatch(path.name)
                if match and match.group(3) != slug:
                    other_forces += 1
                else:
                    files.append(path)
        elif given.is_file():
            match = _FILE_NAME.fullmatch(given.name)
            if match and match.group(3) != slug:
                raise UserError(
                    f"{given}: a file of another force ({match.group(3)!r}, not {slug!r} "
                    "for --force); leave it out or import that force on its own"
                )
            files.append(given)
        else:
            raise UserError(f"{given}: no such file or folder")
    if not files:
        where = ", ".join(str(p) for p in inputs)
        found = f" ({other_forces} files of other forces)" if other_forces else ""
        raise UserError(f"{where}: no stop-and-search files of force {slug!r}{found}")
    _check_months_once(sorted(files, key=lambda p: p.name))
    return sorted(files, key=lambda p: (p.name, str(p))), other_forces


def _check_months_once(files: list[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in files:
        match = _FILE_NAME.fullmatch(path.name)
        if match is None:
            continue
        month = f"{match.group(1)}-{match.group(2)}"
        if month in seen:
            raise UserError(f"{path}: month {month} is also in {seen[month]}; give each month once")
        seen[month] = path


def read_file(path: Path) -> pd.DataFrame:
    """One police.uk file's columns that are used, as text, plus ``file`` and ``line``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UserError(
            f"{path}: line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
            "police.uk files are UTF-8: re-save it as UTF-8"
        ) from None
    if not text.strip():
        raise UserError(f"{path}: empty, not a police.uk stop-and-search file")
    header = next(csv.reader([text.partition("\n")[0]]), [])
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise UserError(
            f"{path}: line 1: not a police.uk stop-and-search file (no column "
            f"{', '.join(repr(c) for c in missing[:3])}{' ...' if len(missing) > 3 else ''})"
        )
    body = raw.removeprefix(UTF8_BOM)
    try:
        table = pd.read_csv(
            io.BytesIO(body),
            dtype=str,
            usecols=list(USED_COLUMNS),
            keep_default_na=False,
            engine="pyarrow",  # several times the C engine's speed on the columns used
        )
    except pd.errors.ParserError:
        raise UserError(
            f"{path}: not a CSV file police.uk would write: {_parser_problem(text)}"
        ) from None
    table = table[list(USED_COLUMNS)]
    table.insert(0, "line", range(FIRST_DATA_LINE, FIRST_DATA_LINE + len(table)))
    table.insert(0, "file", path.name)
    return table


def _parser_problem(text: str) -> str:
    """What is wrong, with its line: pyarrow does not say where, the C parser does."""
    try:
        pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, engine="c")
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[0]
        return first.removeprefix("Error tokenizing data. C error: ")
    return "rows of unequal length"


def read_searches(inputs: Sequence[Path], force: str) -> Searches:
    """Every usable row of the force's files, with the rows dropped and why."""
    files, other_forces = find_files(inputs, force)
    frame = pd.concat([read_file(path) for path in files], ignore_index=True)
    rows_read = len(frame)
    frame, dropped = _parse_dates(frame)
    if frame.empty:
        reasons = "; ".join(f"{d.rows} {d.reason} (first: {d.first})" for d in dropped)
        raise UserError(
            f"{files[0]}: no searches with a readable date in {len(files)} file(s)"
            + (f": {reasons}" if reasons else "")
        )
    return Searches(frame, files, dropped, other_forces, rows_read)


def _parse_dates(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[DroppedRows]]:
    """Add date, month, weekday and hour; drop rows with no date or an unreadable one."""
    text = frame["Date"].str.strip()
    # police.uk's own form (2023-04-05T14:30:00+01:00) in one vectorised pass; the rest
    # (other forms, or none) through the slower patterns.
    stamp = pd.to_datetime(
        text.str.slice(0, 19).where(text.str.len().isin(ISO_LENGTHS)),
        format="%Y-%m-%dT%H:%M:%S",
        errors="coerce",
    )
    date = stamp.dt.normalize()
    hour = stamp.dt.hour.astype(float)
    midnight = (stamp == date) & stamp.notna()
    empty = text == ""
    other = stamp.isna() & ~empty
    if other.any():
        date[other], hour[other], midnight[other] = _parse_other_dates(text[other])
    unreadable = other & date.isna()
    dropped = [
        DroppedRows(reason, int(mask.sum()), _where(frame, mask))
        for reason, mask in (("no date", empty), ("date not readable", unreadable))
        if mask.any()
    ]
    keep = ~(empty | unreadable)
    frame = frame[keep].copy()
    frame["date"] = date[keep]
    month = frame["date"].dt.year * 100 + frame["date"].dt.month
    frame["month"] = month.map({m: f"{m // 100}-{m % 100:02d}" for m in month.unique()})
    frame["weekday"] = frame["date"].dt.day_of_week
    frame["hour"] = hour[keep].where(~midnight[keep].astype(bool))
    return frame.reset_index(drop=True), dropped


def _parse_other_dates(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Dates in the other forms: the day (NaT if unreadable), the hour (NaN if none) and
    whether the row is stamped at midnight or has no time."""
    parts = text.str.extract(_ISO_DATE)
    unread = parts["year"].isna()
    if unread.any():
        parts.loc[unread] = text[unread].str.extract(_DAY_FIRST_DATE)[parts.columns].to_numpy()
    numbers = parts.apply(pd.to_numeric, errors="coerce")
    date = pd.to_datetime(numbers[["year", "month", "day"]], errors="coerce")
    minute = numbers["minute"].fillna(0)
    second = numbers["second"].fillna(0)
    timed = numbers["hour"].notna()
    bad_time = timed & ((numbers["hour"] >= 24) | (minute >= 60) | (second >= 60))
    date = date.where(~bad_time)
    midnight = ~timed | ((numbers["hour"] == 0) & (minute == 0) & (second == 0))
    return date, numbers["hour"], midnight


def _where(frame: pd.DataFrame, mask: pd.Series) -> str:
    first = frame.loc[mask.idxmax()]
    return f"{first['file']} line {first['line']}"
