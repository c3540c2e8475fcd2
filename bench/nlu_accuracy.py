"""Intent and entity accuracy of the engine's NLU on the held-out test sets; figures printed.

    scripts/app.sh bench/nlu_accuracy.py [--out bench/results/nlu_accuracy.json]

Starts the engine on the current model (`trained_model()`: trains first if config or data changed),
pointed at an action URL nothing listens on (`/model/parse` never calls the action server), and
sends every example of bench/data/nlu_{heldout,bitext_test,clinc_oos_test}.yml to `/model/parse`,
one at a time.

Per test set and combined: intent accuracy and macro-F1 over the gold intents present, twice:
- strict: a predicted `nlu_fallback` (FallbackClassifier, below its threshold) is a miss;
- fallback=oos: a predicted `nlu_fallback` counts as `out_of_scope` (the bot treats both the same:
  it declines / asks again), so it is right when the gold label is out_of_scope.
Retrieval sub-intents `x/y` count as `x`. Entities (`tracking_number`, `order_code` separately): a
prediction is right when its type and its exact substring of the message equal an annotation's;
precision / recall / F1 over all messages. Plus the 10 most frequent (gold -> predicted)
confusions, strict labels. All figures, and every miss, go to bench/results/nlu_accuracy.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from sklearn.metrics import f1_score, precision_recall_fscore_support

from bench.nlu_sets import ENTITY_TYPES, Example, base_intent, load_all
from sandbox.stack import free_port, running, start_engine, trained_model

RESULTS = Path(__file__).resolve().parent / "results" / "nlu_accuracy.json"
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"


def parse_all(engine_url: str, examples: list[Example]) -> list[dict[str, Any]]:
    """The engine's /model/parse answer for each example, in order."""
    answers = []
    with requests.Session() as http:
        for example in examples:
            reply = http.post(f"{engine_url}/model/parse", json={"text": example.text}, timeout=60)
            reply.raise_for_status()
            answers.append(reply.json())
    return answers


def lenient(label: str) -> str:
    return OUT_OF_SCOPE if label == FALLBACK else label


def intent_figures(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 over the gold intents present, and per-intent P/R/F1."""
    labels = sorted(set(gold))
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    macro = f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0
    )
    per_intent = {
        label: {
            "precision": round(float(precision[i]), 4),
            "recall": round(float(recall[i]), 4),
            "f1": round(float(f1[i]), 4),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }
    return {
        "accuracy": round(accuracy, 4),
        "macro_f1": round(float(macro), 4),
        "per_intent": per_intent,
    }


def entity_figures(examples: list[Example], answers: list[dict[str, Any]]) -> dict[str, Any]:
    """Per entity type: counts, P/R/F1, and the messages with a missed or a spurious entity."""
    out: dict[str, Any] = {}
    for kind in ENTITY_TYPES:
        tp = fp = fn = 0
        errors = []
        for example, answer in zip(examples, answers, strict=True):
            gold = Counter(e.value for e in example.entities if e.entity == kind)
            found = Counter(
                example.text[e["start"] : e["end"]]
                for e in answer.get("entities", [])
                if e.get("entity") == kind
            )
            hits = sum((gold & found).values())
            tp += hits
            fp += sum(found.values()) - hits
            fn += sum(gold.values()) - hits
            if gold != found:
                errors.append(
                    {
                        "text": example.text,
                        "gold": sorted(gold.elements()),
                        "found": sorted(found.elements()),
                    }
                )
        precision = tp / (tp + fp) if tp + fp else None
        recall = tp / (tp + fn) if tp + fn else None
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision is not None and recall is not None and precision + recall
            else None
        )
        out[kind] = {
            "gold": tp + fn,
            "predicted": tp + fp,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": None if precision is None else round(precision, 4),
            "recall": None if recall is None else round(recall, 4),
            "f1": None if f1 is None else round(f1, 4),
            "errors": errors,
        }
    return out


def score(examples: list[Example], answers: list[dict[str, Any]]) -> dict[str, Any]:
    gold = [e.intent for e in examples]
    predicted = [base_intent(a["intent"]["name"] or "") for a in answers]
    confusions = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    misses = [
        {
            "text": e.text,
            "gold": g,
            "predicted": p,
            "confidence": round(float(a["intent"].get("confidence") or 0.0), 4),
            "ranking": [
                [r["name"], round(float(r["confidence"]), 4)]
                for r in a.get("intent_ranking", [])[:3]
            ],
        }
        for e, a, g, p in zip(examples, answers, gold, predicted, strict=True)
        if g != p
    ]
    return {
        "n": len(examples),
        "strict": intent_figures(gold, predicted),
        "fallback_as_oos": intent_figures(gold, [lenient(p) for p in predicted]),
        "predicted_nlu_fallback": predicted.count(FALLBACK),
        "entities": entity_figures(examples, answers),
        "top_confusions": [
            {"gold": g, "predicted": p, "count": c} for (g, p), c in confusions.most_common(10)
        ],
        "misses": misses,
    }


def fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def report(name: str, figures: dict[str, Any]) -> None:
    strict, loose = figures["strict"], figures["fallback_as_oos"]
    print(
        f"{name}: intent accuracy {strict['accuracy']:.3f}, macro-F1 {strict['macro_f1']:.3f} "
        f"(n={figures['n']}) | fallback=oos: accuracy {loose['accuracy']:.3f}, "
        f"macro-F1 {loose['macro_f1']:.3f} | "
        f"nlu_fallback predicted {figures['predicted_nlu_fallback']}"
    )
    for kind, e in figures["entities"].items():
        print(
            f"  {kind:15s} P {fmt(e['precision'])}  R {fmt(e['recall'])}  F1 {fmt(e['f1'])}  "
            f"(gold {e['gold']}, predicted {e['predicted']}, right {e['tp']})"
        )
    if figures["top_confusions"]:
        print("  top confusions (gold -> predicted: count):")
        for c in figures["top_confusions"]:
            print(f"    {c['gold']:16s} -> {c['predicted']:16s} {c['count']:3d}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON figures")
    args = ap.parse_args()

    sets = load_all()
    print("model: ensuring it is trained (trains now if config or data changed)...", flush=True)
    model = trained_model()
    print(f"model: {model.name}", flush=True)
    answers: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-nlu-") as tmp:
        unused_actions = f"http://127.0.0.1:{free_port()}"
        engine, startup = start_engine(unused_actions, Path(tmp), model=model)
        with running(engine):
            print(f"engine up in {startup:.1f}s; parsing...", flush=True)
            started = time.monotonic()
            for name, examples in sets.items():
                answers[name] = parse_all(engine.url, examples)
            elapsed = time.monotonic() - started

    n_total = sum(len(x) for x in sets.values())
    print(f"parsed {n_total} messages in {elapsed:.1f}s\n")
    results: dict[str, Any] = {
        "model": model.name,
        "nproc": os.cpu_count(),
        "parse_seconds": round(elapsed, 2),
        "sets": {},
    }
    for name, examples in sets.items():
        results["sets"][name] = score(examples, answers[name])
        report(name, results["sets"][name])
    combined_examples = [e for x in sets.values() for e in x]
    combined_answers = [a for name in sets for a in answers[name]]
    results["combined"] = score(combined_examples, combined_answers)
    report("combined", results["combined"])

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nfigures and every miss: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
