"""Turn labellers' files into the project's label files: spans instead of code values.

    scripts/app.sh -m devset.merge OUT_DIR

Each labeller wrote one JSON line per row: {"row", "sha", "intent", "needs_human", "reply",
"codes": [{"type", "value"}], "skip"}. A code's value is found in the row's text (the n-th
occurrence for the n-th equal value) and stored as a start/end span, so no words of the text are
kept in the project. Rows marked not English are left out. Writes devset/labels/{tune,check}.jsonl.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from devset.rows import LABELS, ROWS, read_source, text_hash

INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "track_parcel", "order_status",
    "delivery_problem", "change_delivery", "cancel_order", "return_refund", "payment_issue",
    "account_help", "faq", "human_handoff", "complaint", "out_of_scope",
}  # fmt: skip
ENTITIES = {"tracking_number", "order_code"}
_SHOP_NUMBER = re.compile(r"#[0-9]{4,8}")


def spans(text: str, codes: list[dict[str, str]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    seen: Counter[str] = Counter()
    for code in codes:
        value, entity = code["value"].strip(), code["type"]
        if entity not in ENTITIES:
            raise ValueError(f"unknown entity {entity!r}")
        start = -1
        for _ in range(seen[value] + 1):
            start = text.find(value, start + 1)
        if start < 0:
            raise ValueError("a code value is not in its text")
        seen[value] += 1
        end = start + len(value)
        # "#" is the number sign, not part of the code, except in the shop's own "#12345"
        # format (labelling decision, nlu_data/README.md).
        if text[start] == "#" and not _SHOP_NUMBER.fullmatch(value):
            start += 1
        out.append({"entity": entity, "start": start, "end": end})
    return sorted(out, key=lambda s: s["start"])  # type: ignore[arg-type,return-value]


def main(out_dir: Path) -> None:
    texts = read_source()
    splits = {json.loads(line)["row"]: json.loads(line)["split"] for line in ROWS.open()}
    by_split: dict[str, list[dict[str, object]]] = {"tune": [], "check": []}
    skipped = 0
    for path in sorted(out_dir.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            item = json.loads(line)
            row = int(item["row"])
            text = texts[row]
            where = f"{path.name}:{number}"
            if text_hash(text) != item["sha"] or row not in splits:
                raise SystemExit(f"{where}: row {row} is not a dev-set row with that hash")
            if item.get("skip"):
                skipped += 1
                continue
            if item["intent"] not in INTENTS:
                raise SystemExit(f"{where}: unknown intent {item['intent']!r}")
            try:
                entity_spans = spans(text, item.get("codes") or [])
            except ValueError as exc:
                raise SystemExit(f"{where}: {exc}") from None
            by_split[splits[row]].append(
                {
                    "row": row,
                    "sha": item["sha"],
                    "split": splits[row],
                    "intent": item["intent"],
                    "needs_human": bool(item["needs_human"]),
                    "reply": bool(item.get("reply")),
                    "entities": entity_spans,
                }
            )
    LABELS.mkdir(exist_ok=True)
    for split, items in by_split.items():
        rows = sorted(items, key=lambda i: i["row"])  # type: ignore[arg-type,return-value]
        if len({i["row"] for i in rows}) != len(rows):
            raise SystemExit(f"{split}: a row is labelled twice")
        with (LABELS / f"{split}.jsonl").open("w", encoding="utf-8") as out:
            for item in rows:
                out.write(json.dumps(item) + "\n")
        print(f"{split}: {len(rows)} labelled rows")
    print(f"{skipped} rows left out (not English)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
