"""The real-customer development set: which rows of the customer-tweets file, and their labels.

The texts live only in ../shared/data/twcs/customer_tweets_dev.csv (CC BY-NC-SA: measuring only).
The project keeps row numbers, text hashes, splits and labels; `load()` joins them back with the
texts and refuses a row whose text no longer hashes to what was labelled.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent / "shared" / "data" / "twcs" / "customer_tweets_dev.csv"
ROWS = HERE / "rows.jsonl"
LABELS = HERE / "labels"
# About 45 % of the rows (by hash) are the check split: at least 500 of 1,320.
CHECK_SHARE = 0.45

Split = Literal["tune", "check"]


def text_hash(text: str) -> str:
    """First 16 hex digits of the text's SHA-256: names a row without keeping its words."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def split_of(digest: str) -> Split:
    """tune or check, from the hash alone."""
    return "check" if int(digest[:8], 16) / 0x1_0000_0000 < CHECK_SHARE else "tune"


@cache
def read_source(path: Path = SOURCE) -> list[str]:
    """Every text of the customer-tweets file by data row number (0: first after the header)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


@dataclass(frozen=True)
class Span:
    entity: str  # tracking_number | order_code
    start: int
    end: int


@dataclass(frozen=True)
class Labelled:
    row: int
    sha: str
    split: Split
    text: str
    intent: str
    needs_human: bool
    reply: bool  # reads as a reply inside a thread (makes sense only after an earlier message)
    entities: tuple[Span, ...]


def load(split: Split | None = None) -> list[Labelled]:
    """The labelled rows (of one split, or all), with their texts from ../shared."""
    texts = read_source()
    out = []
    for path in sorted(LABELS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if split is not None and item["split"] != split:
                continue
            text = texts[item["row"]]
            if text_hash(text) != item["sha"]:
                raise ValueError(f"{path.name}: row {item['row']} no longer matches its hash")
            out.append(
                Labelled(
                    row=item["row"],
                    sha=item["sha"],
                    split=item["split"],
                    text=text,
                    intent=item["intent"],
                    needs_human=bool(item["needs_human"]),
                    reply=bool(item.get("reply", False)),
                    entities=tuple(
                        Span(e["entity"], e["start"], e["end"]) for e in item["entities"]
                    ),
                )
            )
    return sorted(out, key=lambda r: r.row)
