"""Synthetic police.uk stop-and-search files, in exactly police.uk's format: the tests of
the importer make their own (no real data is read or downloaded)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from simdivert.importers.police_uk_files import COLUMNS

FORCE = "West Midlands"
SLUG = "west-midlands"
MONTHS = [f"2023-{m:02d}" for m in range(4, 13)] + [f"2024-{m:02d}" for m in range(1, 4)]

SELF_DEFINED = (
    "White - English/Welsh/Scottish/Northern Irish/British",
    "Black/African/Caribbean/Black British - Caribbean",
    "Asian/Asian British - Pakistani",
    "Mixed/Multiple ethnic groups - White and Black Caribbean",
    "Other ethnic group - Any other ethnic group",
)
OFFICER_DEFINED = ("White", "Black", "Asian", "Other", "Other")
AGES = ("under 10", "10-17", "18-24", "25-34", "over 34")
OUTCOMES = (
    "Arrest",
    "Community resolution",
    "Khat or Cannabis warning",
    "Penalty Notice for Disorder",
    "A no further action disposal",
)


def row(**values: str) -> dict[str, str]:
    """One search with police.uk's usual values; keyword names are the columns with
    spaces and hyphens as underscores (``Object_of_search``)."""
    base = {
        "Type": "Person search",
        "Date": "2023-04-05T14:30:00+01:00",
        "Part of a policing operation": "False",
        "Policing operation": "",
        "Latitude": "52.48",
        "Longitude": "-1.89",
        "Gender": "Male",
        "Age range": "18-24",
        "Self-defined ethnicity": SELF_DEFINED[0],
        "Officer-defined ethnicity": "White",
        "Legislation": "Misuse of Drugs Act 1971 (section 23)",
        "Object of search": "Controlled drugs",
        "Outcome": "Community resolution",
        "Outcome linked to object of search": "True",
        "Removal of more than just outer clothing": "False",
    }
    for key, value in values.items():
        column = key.replace("__", "-").replace("_", " ")
        assert column in base, column
        base[column] = value
    return base


def month_rows(month: str, searches: int = 60) -> list[dict[str, str]]:
    """A month of searches with a known pattern: half for drugs, half of those find them;
    hours cycle through the day, days through the month, people through the categories."""
    rows = []
    for i in range(searches):
        drug = i % 2 == 0
        found = drug and i % 4 == 0
        day = 1 + i % 28
        hour = 1 + i % 23  # 01:00..23:00: never stamped at midnight
        rows.append(
            row(
                Date=f"{month}-{day:02d}T{hour:02d}:15:00+01:00",
                Object_of_search="Controlled drugs" if drug else "Offensive weapons",
                Outcome_linked_to_object_of_search="True" if found else "False",
                Outcome=OUTCOMES[(i // 4) % 5] if found else "A no further action disposal",
                Age_range=AGES[(i // 4) % 5],
                Gender="Female" if i % 8 == 4 else "Male",
                Self__defined_ethnicity=SELF_DEFINED[(i // 4) % 5],
                Officer__defined_ethnicity=OFFICER_DEFINED[(i // 4) % 5],
            )
        )
    return rows


def write_file(path: Path, rows: Iterable[dict[str, str]], columns=COLUMNS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def month_path(folder: Path, month: str, slug: str = SLUG) -> Path:
    """Where the police.uk monthly archive puts a force's month."""
    return folder / month / f"{month}-{slug}-stop-and-search.csv"


def write_archive(folder: Path, months: Iterable[str] = MONTHS, searches: int = 60) -> Path:
    """A year of the force's files in the archive's layout, beside street-crime files."""
    for month in months:
        write_file(month_path(folder, month), month_rows(month, searches))
        (folder / month / f"{month}-{SLUG}-street.csv").write_text("Crime ID,Month\n")
    return folder
