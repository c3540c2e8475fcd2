"""Tune the FAQ similarity threshold on held-out messages; print the sweep and the pick.

    PYTHONPATH=. python bench/faq_threshold.py [--eval bench/data/faq_eval.yml] [--no-clinc]

Each message is matched once (`FaqIndex.match`, the rule `search` applies); the sweep then asks,
threshold by threshold, what `search` would have done. Of the answerable messages: the share
answered with the right article, with a wrong one, and not answered. Of the unanswerable ones
(ours, and CLINC150's out-of-scope test set): the share wrongly given an article.

The pick: the lowest threshold at which nothing is answered wrongly (wrong article, or an article
for a message that must get none), i.e. the one that answers the most without misleading.
The `check` split of the eval file is scored at the pick only: it was written after the FAQ and
the threshold were settled, so it says how the pick holds on messages nothing was tuned on.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.search import DEFAULT_MIN_SIMILARITY, FaqIndex, Match, build_index, load_model

EVAL_PATH = Path(__file__).resolve().parent / "data" / "faq_eval.yml"
# CLINC150 (clinc/oos-eval, CC BY 3.0): read at run time from the shared data, not copied here.
CLINC_PATH = Path("/work/shared/data/clinc150/data_full.json")
THRESHOLDS = [round(0.30 + 0.01 * i, 2) for i in range(61)]  # 0.30 … 0.90


@dataclass(frozen=True)
class Case:
    """One held-out message, what should happen to it, and what the index made of it."""

    text: str
    expected: str | None  # the article that should answer; None: no article may
    match: Match | None  # None: nothing left to search once cleaned (an emoji alone, say)

    def answered(self, threshold: float) -> bool:
        return self.match is not None and self.match.answers(threshold)

    @property
    def nearest(self) -> str | None:
        return None if self.match is None else self.match.hit.article_id

    @property
    def score(self) -> float:
        return -1.0 if self.match is None else self.match.hit.score

    def right(self, threshold: float) -> bool:
        if self.expected is None:
            return not self.answered(threshold)
        return self.answered(threshold) and self.nearest == self.expected


@dataclass(frozen=True)
class Figures:
    """What `search` does at one threshold."""

    threshold: float
    right: int  # answerable, given the expected article
    wrong_article: int  # answerable, given another article
    unanswered: int  # answerable, given nothing
    false_answers: int  # unanswerable (ours), given an article
    false_answers_oos: int  # unanswerable (CLINC out-of-scope), given an article

    @property
    def wrong(self) -> int:
        return self.wrong_article + self.false_answers + self.false_answers_oos


def figures_at(threshold: float, pos: list[Case], neg: list[Case], oos: list[Case]) -> Figures:
    """Count the outcomes of every message at `threshold`."""
    answered = [c for c in pos if c.answered(threshold)]
    right = sum(c.right(threshold) for c in pos)
    return Figures(
        threshold=threshold,
        right=right,
        wrong_article=len(answered) - right,
        unanswered=len(pos) - len(answered),
        false_answers=sum(c.answered(threshold) for c in neg),
        false_answers_oos=sum(c.answered(threshold) for c in oos),
    )


def split(data: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """(message, article id) pairs that must be answered, and messages that must not."""
    answerable = [(t, a) for a, texts in data["answerable"].items() for t in texts]
    unanswerable = [t for texts in data["unanswerable"].values() for t in texts]
    return answerable, unanswerable


def load_clinc_oos(path: Path, exclude: list[str]) -> list[str]:
    """CLINC150's out-of-scope test queries but those a shop's FAQ rightly answers."""
    if not path.exists():
        print(f"({path} not found: CLINC150 out-of-scope left out)")
        return []
    skip = set(exclude)
    rows = json.loads(path.read_text(encoding="utf-8"))["oos_test"]
    return [text for text, _ in rows if text not in skip]


def pct(n: int, total: int) -> str:
    return f"{100 * n / total:5.1f}%" if total else "    -"


def run_cases(index: FaqIndex, texts: list[tuple[str, str | None]]) -> list[Case]:
    matches = index.match_many([text for text, _ in texts])
    return [Case(t, e, m) for (t, e), m in zip(texts, matches, strict=True)]


def print_sweep(rows: list[Figures], n_pos: int, n_neg: int, n_oos: int) -> None:
    print(
        "thresh | answerable: right  wrong  unanswered | unanswerable answered: ours  clinc"
        " | wrong answers, all"
    )
    for f in rows:
        print(
            f"  {f.threshold:.2f} |             {pct(f.right, n_pos)} {pct(f.wrong_article, n_pos)}"
            f"      {pct(f.unanswered, n_pos)} |                       "
            f"{pct(f.false_answers, n_neg)} {pct(f.false_answers_oos, n_oos)} | {f.wrong:4d}"
        )


def print_closest(pos: list[Case], neg: list[Case], threshold: float, show: int) -> None:
    """The messages nearest the line: they explain the pick."""
    answered_wrong = sorted(
        (c for c in pos if c.nearest != c.expected and c.answered(0.0)), key=lambda c: -c.score
    )
    false = sorted((c for c in neg if c.answered(0.0)), key=lambda c: -c.score)
    missed = sorted(
        (c for c in pos if c.nearest == c.expected and not c.answered(threshold)),
        key=lambda c: -c.score,
    )
    declined = [c for c in pos if c.match is not None and not c.answered(0.0)]
    for title, items in (
        ("answerable, nearest article is the wrong one", answered_wrong),
        ("unanswerable, not declined, highest scores", false),
        ("answerable, right article but under the threshold", missed),
        ("answerable, but a decline example is nearer", declined),
    ):
        print(f"\n{title} ({len(items)}):")
        for c in items[:show]:
            m = c.match
            if m is None:
                print(f"  (empty once cleaned) {c.text!r}")
                continue
            want = f" (want {c.expected})" if c.expected else ""
            print(
                f"  {m.hit.score:.3f} {m.hit.article_id:<22} decline {m.decline_score:.3f} "
                f"{m.decline_reason or '-':<13} {c.text!r}{want}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--eval", type=Path, default=EVAL_PATH)
    parser.add_argument("--no-clinc", action="store_true", help="leave CLINC150 out")
    parser.add_argument("--show", type=int, default=10, help="closest calls listed per kind")
    args = parser.parse_args()

    data = yaml.safe_load(args.eval.read_text(encoding="utf-8"))
    answerable, unanswerable = split(data["tune"])
    clinc = [] if args.no_clinc else load_clinc_oos(CLINC_PATH, data["clinc_oos_answerable"])
    # Threshold 0: `match` gives the raw nearest article and decline example; the sweep filters.
    index = build_index(load_model(), min_similarity=0.0)

    pos = run_cases(index, [(t, a) for t, a in answerable])
    neg = run_cases(index, [(t, None) for t in unanswerable])
    oos = run_cases(index, [(t, None) for t in clinc])
    rows = [figures_at(t, pos, neg, oos) for t in THRESHOLDS]

    print(
        f"FAQ: {len(index.articles)} articles, {len(index.questions)} question variants, "
        f"{len(index.decline_examples)} decline examples"
    )
    print(
        f"tune split: {len(pos)} answerable, {len(neg)} unanswerable (ours), "
        f"{len(oos)} CLINC150 oos_test\n"
    )
    print_sweep(rows, len(pos), len(neg), len(oos))

    safe = [f for f in rows if f.wrong == 0]
    if not safe:
        print("\nno threshold in the sweep avoids every wrong answer")
        return 1
    pick = safe[0]
    print(f"\nchosen threshold: {pick.threshold:.2f} (lowest with 0 wrong answers)")
    print(
        f"  answerable ({len(pos)}): {pick.right} right ({pct(pick.right, len(pos)).strip()}), "
        f"{pick.wrong_article} wrong article, {pick.unanswered} unanswered"
    )
    print(
        f"  unanswerable given an article: {pick.false_answers}/{len(neg)} ours, "
        f"{pick.false_answers_oos}/{len(oos)} CLINC"
    )
    in_code = DEFAULT_MIN_SIMILARITY
    print(f"  knowledge/search.py DEFAULT_MIN_SIMILARITY = {in_code:.2f}")

    if "check" in data:
        check_pos, check_neg = split(data["check"])
        cpos = run_cases(index, [(t, a) for t, a in check_pos])
        cneg = run_cases(index, [(t, None) for t in check_neg])
        thresholds = {pick.threshold: "pick", in_code: "in code"}  # one line when they agree
        for threshold, label in thresholds.items():
            f = figures_at(threshold, cpos, cneg, [])
            print(
                f"check split at {threshold:.2f} ({label}): answerable {len(cpos)}: "
                f"{f.right} right ({pct(f.right, len(cpos)).strip()}), {f.wrong_article} wrong "
                f"article, {f.unanswered} unanswered; unanswerable given an article: "
                f"{f.false_answers}/{len(cneg)}"
            )
        for c in cpos + cneg:
            if c.answered(pick.threshold) and not c.right(pick.threshold):
                want = c.expected or "no article"
                print(f"  wrong at the pick: {c.text!r} -> {c.nearest} (want {want})")

    print_closest(pos, neg + oos, pick.threshold, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
