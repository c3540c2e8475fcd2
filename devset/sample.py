"""Draw the real-customer development set's rows from the customer-tweets file (once, fixed seed).

    scripts/app.sh -m devset.sample [--size 1320] [--out devset/rows.jsonl]

Rows are drawn at random (seed 20261206) from ../shared/data/twcs/customer_tweets_dev.csv, first
messages and mid-thread replies alike, keeping English ones (lingua) and skipping exact repeats,
until `--size` rows are kept. Only the row number, a hash of the text and the split go into the
project: the texts stay in ../shared (their licence is non-commercial). The split is decided by the
hash, so it never depends on the order rows were drawn or labelled in.
"""

from __future__ import annotations

import argparse
import json
import random

from lingua import Language, LanguageDetectorBuilder

from devset.rows import CHECK_SHARE, ROWS, SOURCE, read_source, split_of, text_hash

SEED = 20261206
_LANGUAGES = (
    Language.ENGLISH,
    Language.SPANISH,
    Language.FRENCH,
    Language.GERMAN,
    Language.PORTUGUESE,
    Language.ITALIAN,
    Language.DUTCH,
    Language.JAPANESE,
    Language.HINDI,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1320)
    parser.add_argument("--out", default=str(ROWS))
    args = parser.parse_args()

    detector = LanguageDetectorBuilder.from_languages(*_LANGUAGES).build()
    texts = read_source()
    order = list(range(len(texts)))
    random.Random(SEED).shuffle(order)
    kept, seen = [], set()
    for row in order:
        text = texts[row]
        digest = text_hash(text)
        if digest in seen or not text.strip():
            continue
        # Short replies ("I did", "ok thanks") are too short to detect: English unless proven not.
        language = detector.detect_language_of(text)
        letters = sum(ch.isalpha() for ch in text)
        if letters >= 12 and language != Language.ENGLISH:
            continue
        if letters < 12 and not text.isascii():
            continue
        seen.add(digest)
        kept.append({"row": row, "sha": digest, "split": split_of(digest)})
        if len(kept) == args.size:
            break
    with open(args.out, "w", encoding="utf-8") as out:
        for item in sorted(kept, key=lambda r: r["row"]):
            out.write(json.dumps(item) + "\n")
    checks = sum(r["split"] == "check" for r in kept)
    print(
        f"{len(kept)} rows from {SOURCE.name} ({checks} check, {len(kept) - checks} tune; "
        f"check share {CHECK_SHARE:.0%} by hash) -> {args.out}"
    )


if __name__ == "__main__":
    main()
