"""How the assistant does on real customer messages (devset/): NLU figures and the first reply.

    scripts/app.sh bench/real_customers.py [--split tune|check|both] [--no-dialogue]

The messages are the labelled real customer tweets of devset/ (`devset.rows.load`), split into
`tune` (look at it freely) and `check` (a measurement set: for it only aggregate figures are
printed and saved, never a message's text, and its misses are written nowhere).

Starts the action server (a fresh SQLite database in a temporary directory, migrated, demo data
loaded) and the engine on the current model (`trained_model()`: trains first if config or data
changed), conversations in memory. Per split:

1. NLU, every message sent alone to `POST /model/parse`:
   - intent accuracy and macro-F1 (over the gold intents present; a predicted `nlu_fallback` is a
     miss), the per-intent precision/recall/F1/support table, the 10 top (gold -> predicted)
     confusions;
   - wrongly out of scope: of the messages whose gold intent is not out_of_scope, the share
     predicted out_of_scope or nlu_fallback (goal ≤ 3 %);
   - expected calibration error over 10 equal-width confidence bins, taking the top intent of
     `intent_ranking` that is not nlu_fallback and its confidence (right = it equals the gold
     intent), with the reliability table (goal ECE ≤ 0.08);
   - entities (`tracking_number`, `order_code`, separately and combined): a predicted entity is
     right when its type, start and end equal a gold span's (the same span predicted twice counts
     once); precision/recall/F1 and counts (goal F1 ≥ 0.98).
2. First reply (skipped with --no-dialogue): every message as the first message of a new
   conversation through the REST channel; the events of that turn in the tracker say what the
   bot did, one category per turn, in this priority: handed off (a `pause` event, or
   utter_handoff_open/_closed) > asked for a code > sent away (utter_out_of_scope) > offered a
   person (an offer without an answer) > asked to rephrase > answered (everything else; answers
   that also offer a person, such as the topic answers, are counted as "offer included" too) >
   no reply (no bot message at all). Shares over all messages (goal: sent away ≤ 2 %) and over
   those whose gold intent is not out_of_scope.
   needs_human reach: of the messages labelled needs_human, the share that reached a person
   within two turns: handed off on turn 1; or turn 1 offered a person (an offer category, or a
   response in actions.topics.OFFERS_A_PERSON, or a topic answer) and "yes please" then hands
   off; or turn 1 asked for a code and "I don't have it" then hands off (goal ≥ 90 %); how the
   others' turn 1 ended.

Also prints the run (split sizes, model, nproc, load average, wall time). Figures go to
bench/results/real_customers.json; for the tune split, the misses with their texts to
bench/results/real_customers_tune_misses.json. About 3 minutes for tune alone, 5 for both (plus
training if the model is out of date).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from actions.topics import OFFERS_A_PERSON
from bench.nlu_accuracy import intent_figures
from bench.nlu_sets import ENTITY_TYPES, base_intent
from devset.rows import Labelled, Split, load
from sandbox.stack import Service, free_port, running, start_actions, start_engine, trained_model
from store.db import prepare_database

RESULTS_DIR = Path(__file__).resolve().parent / "results"
RESULTS = RESULTS_DIR / "real_customers.json"
TUNE_MISSES = RESULTS_DIR / "real_customers_tune_misses.json"
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
TIMEOUT = 60.0
SPLITS: tuple[Split, ...] = ("tune", "check")

GOAL_WRONGLY_OOS_MAX = 0.03
GOAL_ECE_MAX = 0.08
GOAL_ENTITY_F1_MIN = 0.98
GOAL_SENT_AWAY_MAX = 0.02
GOAL_NEEDS_HUMAN_REACH_MIN = 0.90
ECE_BINS = 10

# What a turn's bot responses (utter_action of its bot events) say the bot did.
HANDOFF_RESPONSES = frozenset({"utter_handoff_open", "utter_handoff_closed"})
CODE_ASKS = frozenset(
    {
        "utter_ask_parcel_code_track",
        "utter_ask_parcel_code_order",
        "utter_ask_parcel_code_problem",
        "utter_code_bad_check_digit",
        "utter_code_unrecognised",
    }
)
SENT_AWAY = frozenset({"utter_out_of_scope"})
OFFERS_WITHOUT_ANSWER = frozenset(
    {
        "utter_out_of_scope_offer_person",
        "utter_offer_person_unsure",
        "utter_faq_not_found",
        "utter_other_language",
    }
)
REPHRASE_ASKS = frozenset(
    {"utter_not_understood", "utter_emoji_only", "utter_empty_message", "utter_message_too_long"}
)
# In priority order: a turn gets the first that applies.
CATEGORIES = (
    "handed_off",
    "asked_for_code",
    "sent_away",
    "offered_person",
    "asked_to_rephrase",
    "answered",
    "no_reply",
)
AFTER_OFFER = "yes please"
AFTER_CODE_ASK = "I don't have it"


# --- NLU -------------------------------------------------------------------------------------


def parse_all(engine_url: str, rows: Sequence[Labelled]) -> list[dict[str, Any]]:
    """The engine's /model/parse answer for each message, in order."""
    answers = []
    with requests.Session() as http:
        for row in rows:
            reply = http.post(f"{engine_url}/model/parse", json={"text": row.text}, timeout=TIMEOUT)
            reply.raise_for_status()
            answers.append(reply.json())
    return answers


def predicted_intent(answer: dict[str, Any]) -> str:
    return base_intent((answer.get("intent") or {}).get("name") or "")


def top_real_intent(answer: dict[str, Any]) -> tuple[str, float]:
    """The best intent of the ranking that is not nlu_fallback, and its confidence."""
    for candidate in answer.get("intent_ranking") or []:
        if candidate.get("name") != FALLBACK:
            return base_intent(candidate["name"]), float(candidate.get("confidence") or 0.0)
    intent = answer.get("intent") or {}
    return base_intent(intent.get("name") or ""), float(intent.get("confidence") or 0.0)


def wrongly_out_of_scope(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Of the in-scope messages, how many were read as out of scope (or not read at all)."""
    in_scope = [p for g, p in zip(gold, predicted, strict=True) if g != OUT_OF_SCOPE]
    count = sum(p in (OUT_OF_SCOPE, FALLBACK) for p in in_scope)
    share = count / len(in_scope) if in_scope else 0.0
    return {"in_scope": len(in_scope), "count": count, "share": round(share, 4)}


def calibration(gold: Sequence[str], answers: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Expected calibration error over equal-width bins, and the reliability table."""
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(ECE_BINS)]
    for g, answer in zip(gold, answers, strict=True):
        intent, confidence = top_real_intent(answer)
        bins[min(int(confidence * ECE_BINS), ECE_BINS - 1)].append((confidence, intent == g))
    table, ece = [], 0.0
    for i, members in enumerate(bins):
        row: dict[str, Any] = {"bin": f"{i / ECE_BINS:.1f}-{(i + 1) / ECE_BINS:.1f}"}
        row["count"] = len(members)
        if members:
            confidence = sum(c for c, _ in members) / len(members)
            accuracy = sum(ok for _, ok in members) / len(members)
            ece += len(members) / len(gold) * abs(accuracy - confidence)
            row["mean_confidence"], row["accuracy"] = round(confidence, 4), round(accuracy, 4)
        table.append(row)
    return {"ece": round(ece, 4), "bins": table}


Spans = set[tuple[str, int, int]]


def gold_spans(row: Labelled, kinds: Iterable[str]) -> Spans:
    return {(s.entity, s.start, s.end) for s in row.entities if s.entity in kinds}


def found_spans(answer: dict[str, Any], kinds: Iterable[str]) -> Spans:
    return {
        (e["entity"], int(e["start"]), int(e["end"]))
        for e in answer.get("entities") or []
        if e.get("entity") in kinds
    }


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def entity_scores(
    rows: Sequence[Labelled], answers: Sequence[dict[str, Any]], kinds: tuple[str, ...]
) -> dict[str, Any]:
    """Counts and precision/recall/F1 of exact (type, start, end) matches over all messages."""
    gold = found = right = 0
    for row, answer in zip(rows, answers, strict=True):
        expected, predicted = gold_spans(row, kinds), found_spans(answer, kinds)
        gold += len(expected)
        found += len(predicted)
        right += len(expected & predicted)
    precision, recall = ratio(right, found), ratio(right, gold)
    f1 = None
    if precision is not None and recall is not None:
        f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
    return {
        "gold": gold,
        "predicted": found,
        "correct": right,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def nlu_figures(rows: Sequence[Labelled], answers: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate NLU figures of one split (no message texts)."""
    gold = [row.intent for row in rows]
    predicted = [predicted_intent(a) for a in answers]
    confusions = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    entities = {kind: entity_scores(rows, answers, (kind,)) for kind in ENTITY_TYPES}
    entities["combined"] = entity_scores(rows, answers, ENTITY_TYPES)
    return {
        "n": len(rows),
        "intents": intent_figures(gold, predicted),
        "predicted_nlu_fallback": predicted.count(FALLBACK),
        "top_confusions": [
            {"gold": g, "predicted": p, "count": c} for (g, p), c in confusions.most_common(10)
        ],
        "wrongly_out_of_scope": wrongly_out_of_scope(gold, predicted),
        "calibration": calibration(gold, answers),
        "entities": entities,
    }


def nlu_misses(rows: Sequence[Labelled], answers: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Intent misses and entity errors with their texts: for the tune split only."""
    intents, entities = [], []
    for row, answer in zip(rows, answers, strict=True):
        predicted = predicted_intent(answer)
        if predicted != row.intent:
            intents.append(
                {
                    "row": row.row,
                    "text": row.text,
                    "gold": row.intent,
                    "predicted": predicted,
                    "confidence": round(float(answer["intent"].get("confidence") or 0.0), 4),
                    "ranking": [
                        [r["name"], round(float(r["confidence"]), 4)]
                        for r in (answer.get("intent_ranking") or [])[:3]
                    ],
                }
            )
        expected, found = gold_spans(row, ENTITY_TYPES), found_spans(answer, ENTITY_TYPES)
        if expected != found:
            entities.append(
                {
                    "row": row.row,
                    "text": row.text,
                    "gold": sorted([k, row.text[s:e]] for k, s, e in expected),
                    "found": sorted([k, row.text[s:e]] for k, s, e in found),
                }
            )
    return {"intents": intents, "entities": entities}


# --- first reply -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """What the bot did in one turn: its category and the responses (utter_action) it sent."""

    category: str
    responses: tuple[str, ...]

    @property
    def offers_person(self) -> bool:
        return self.category == "offered_person" or any(
            r in OFFERS_A_PERSON or r in OFFERS_WITHOUT_ANSWER or r.startswith("utter_topic_")
            for r in self.responses
        )


def events_of_last_turn(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    """The tracker's events after its latest user message."""
    events: list[dict[str, Any]] = tracker.get("events") or []
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    return events[users[-1] + 1 :] if users else []


def classify(events: Sequence[dict[str, Any]]) -> Turn:
    """The category of a turn, from its events (highest priority first)."""
    bot = [e for e in events if e.get("event") == "bot"]
    responses = tuple(str((e.get("metadata") or {}).get("utter_action") or "") for e in bot)
    said = set(responses)
    if any(e.get("event") == "pause" for e in events) or said & HANDOFF_RESPONSES:
        category = "handed_off"
    elif said & CODE_ASKS:
        category = "asked_for_code"
    elif said & SENT_AWAY:
        category = "sent_away"
    elif said & OFFERS_WITHOUT_ANSWER:
        category = "offered_person"
    elif said & REPHRASE_ASKS:
        category = "asked_to_rephrase"
    elif bot:
        category = "answered"
    else:
        category = "no_reply"
    return Turn(category, responses)


def say(http: requests.Session, engine_url: str, sender: str, text: str) -> Turn:
    """One customer message through the REST channel, and what the bot did with it."""
    reply = http.post(
        f"{engine_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=TIMEOUT,
    )
    reply.raise_for_status()
    tracker = http.get(f"{engine_url}/conversations/{sender}/tracker", timeout=TIMEOUT)
    tracker.raise_for_status()
    return classify(events_of_last_turn(tracker.json()))


@dataclass(frozen=True)
class Conversation:
    """A message as a new conversation's first; for needs_human ones, the way to a person."""

    first: Turn
    second: Turn | None = None
    path: str | None = None  # how a person was reached, None if not

    @property
    def reached_person(self) -> bool:
        return self.path is not None


def reach_person(http: requests.Session, engine_url: str, sender: str, first: Turn) -> Conversation:
    """After turn 1 of a needs_human message: does one natural second message reach a person?"""
    if first.category == "handed_off":
        return Conversation(first, path="handed off on turn 1")
    if first.category == "asked_for_code":
        second, path = say(http, engine_url, sender, AFTER_CODE_ASK), "code asked, then no code"
    elif first.offers_person:
        second, path = say(http, engine_url, sender, AFTER_OFFER), "person offered, then yes"
    else:
        return Conversation(first)
    return Conversation(first, second, path if second.category == "handed_off" else None)


def converse_all(engine_url: str, rows: Sequence[Labelled], split: str) -> list[Conversation]:
    """Every message as a new conversation (a second turn for needs_human ones)."""
    run = uuid.uuid4().hex[:8]
    conversations = []
    with requests.Session() as http:
        for row in rows:
            sender = f"real-{split}-{row.row}-{run}"
            first = say(http, engine_url, sender, row.text)
            if row.needs_human:
                conversations.append(reach_person(http, engine_url, sender, first))
            else:
                conversations.append(Conversation(first))
    return conversations


def shares(turns: Sequence[Turn]) -> dict[str, Any]:
    """Count and share of each category, and of answers that include an offer of a person."""
    counts = Counter(t.category for t in turns)
    total = len(turns)
    out: dict[str, Any] = {"n": total}
    for category in CATEGORIES:
        out[category] = {"count": counts[category], "share": ratio(counts[category], total)}
    offered = sum(t.category == "answered" and t.offers_person for t in turns)
    out["answered_offer_included"] = {"count": offered, "share": ratio(offered, total)}
    # Which responses the turns sent (names only), to see what each category is made of.
    out["responses"] = dict(
        Counter(r or "(no name)" for t in turns for r in t.responses).most_common()
    )
    return out


def dialogue_figures(
    rows: Sequence[Labelled], conversations: Sequence[Conversation]
) -> dict[str, Any]:
    """Aggregate first-reply figures of one split (no message texts)."""
    firsts = [c.first for c in conversations]
    in_scope = [
        c.first for r, c in zip(rows, conversations, strict=True) if r.intent != OUT_OF_SCOPE
    ]
    needing = [c for r, c in zip(rows, conversations, strict=True) if r.needs_human]
    reached = [c for c in needing if c.reached_person]
    missed = [c for c in needing if not c.reached_person]
    return {
        "all": shares(firsts),
        "gold_not_out_of_scope": shares(in_scope),
        "needs_human": {
            "n": len(needing),
            "reached": len(reached),
            "share": ratio(len(reached), len(needing)),
            "reached_by": dict(Counter(str(c.path) for c in reached).most_common()),
            "not_reached_turn1": dict(Counter(c.first.category for c in missed).most_common()),
            "not_reached_turn2": dict(
                Counter(c.second.category for c in missed if c.second).most_common()
            ),
        },
    }


def dialogue_misses(
    rows: Sequence[Labelled], conversations: Sequence[Conversation]
) -> dict[str, Any]:
    """In-scope messages sent away and needs_human ones that reached nobody: tune split only."""

    def turn(t: Turn | None) -> dict[str, Any] | None:
        return None if t is None else {"category": t.category, "responses": list(t.responses)}

    def item(row: Labelled, c: Conversation) -> dict[str, Any]:
        return {
            "row": row.row,
            "text": row.text,
            "gold": row.intent,
            "turn1": turn(c.first),
            "turn2": turn(c.second),
        }

    pairs = list(zip(rows, conversations, strict=True))
    return {
        "sent_away_in_scope": [
            item(r, c)
            for r, c in pairs
            if c.first.category == "sent_away" and r.intent != OUT_OF_SCOPE
        ],
        "needs_human_not_reached": [
            item(r, c) for r, c in pairs if r.needs_human and not c.reached_person
        ],
    }


# --- report ----------------------------------------------------------------------------------


def mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("goal met" if ok else "MISSED")


def num(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{100 * value:5.1f}%"


def report_nlu(split: str, f: dict[str, Any]) -> None:
    intents, oos, cal = f["intents"], f["wrongly_out_of_scope"], f["calibration"]
    print(f"\n== {split}: NLU (n={f['n']}) ==")
    print(
        f"intent accuracy {intents['accuracy']:.3f}, macro-F1 {intents['macro_f1']:.3f} "
        f"(nlu_fallback predicted {f['predicted_nlu_fallback']})"
    )
    print(f"  {'intent':18s} {'P':>6s} {'R':>6s} {'F1':>6s} {'support':>8s}")
    for name, s in intents["per_intent"].items():
        print(
            f"  {name:18s} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} "
            f"{s['support']:8d}"
        )
    print("  top confusions (gold -> predicted: count):")
    for c in f["top_confusions"]:
        print(f"    {c['gold']:18s} -> {c['predicted']:18s} {c['count']:4d}")
    print(
        f"wrongly out of scope: {pct(oos['share'])} ({oos['count']} of {oos['in_scope']} "
        f"in-scope) [goal ≤ {GOAL_WRONGLY_OOS_MAX:.0%}: "
        f"{mark(oos['share'] <= GOAL_WRONGLY_OOS_MAX)}]"
    )
    print(f"ECE {cal['ece']:.3f} [goal ≤ {GOAL_ECE_MAX}: {mark(cal['ece'] <= GOAL_ECE_MAX)}]")
    print(f"  {'bin':9s} {'count':>6s} {'mean conf':>10s} {'accuracy':>9s}")
    for b in cal["bins"]:
        print(
            f"  {b['bin']:9s} {b['count']:6d} {num(b.get('mean_confidence')):>10s} "
            f"{num(b.get('accuracy')):>9s}"
        )
    print(f"entities (exact type and span) [goal F1 ≥ {GOAL_ENTITY_F1_MIN}]:")
    for kind, e in f["entities"].items():
        ok = None if e["f1"] is None else e["f1"] >= GOAL_ENTITY_F1_MIN
        print(
            f"  {kind:15s} P {num(e['precision'])}  R {num(e['recall'])}  F1 {num(e['f1'])}  "
            f"(gold {e['gold']}, predicted {e['predicted']}, correct {e['correct']}) {mark(ok)}"
        )


def report_shares(title: str, s: dict[str, Any], goal: bool) -> None:
    print(f"{title} (n={s['n']}):")
    for category in CATEGORIES:
        line = f"  {category:18s} {pct(s[category]['share'])}  ({s[category]['count']})"
        if goal and category == "sent_away":
            share = s[category]["share"]
            ok = None if share is None else share <= GOAL_SENT_AWAY_MAX
            line += f"  [goal ≤ {GOAL_SENT_AWAY_MAX:.0%}: {mark(ok)}]"
        print(line)
    offer, answered = s["answered_offer_included"], s["answered"]["count"]
    print(
        f"  {'  offer included':18s} {pct(offer['share'])}  "
        f"({offer['count']} of the {answered} answered)"
    )


def report_dialogue(split: str, f: dict[str, Any]) -> None:
    print(f"\n== {split}: first reply ==")
    report_shares("all messages", f["all"], goal=True)
    report_shares("gold intent not out_of_scope", f["gold_not_out_of_scope"], goal=False)
    h = f["needs_human"]
    ok = None if h["share"] is None else h["share"] >= GOAL_NEEDS_HUMAN_REACH_MIN
    print(
        f"needs_human reach within two turns: {pct(h['share'])} ({h['reached']} of {h['n']}) "
        f"[goal ≥ {GOAL_NEEDS_HUMAN_REACH_MIN:.0%}: {mark(ok)}]"
    )
    for path, count in h["reached_by"].items():
        print(f"  reached: {path:28s} {count:4d}")
    for category, count in h["not_reached_turn1"].items():
        print(f"  not reached, turn 1 {category:20s} {count:4d}")
    for category, count in h["not_reached_turn2"].items():
        print(f"  not reached, turn 2 {category:20s} {count:4d}")


# --- run -------------------------------------------------------------------------------------


def measure(
    engine: Service, rows: dict[str, list[Labelled]], dialogue: bool
) -> tuple[dict[str, Any], dict[str, Any], dict[str, float]]:
    """Figures per split, the tune split's misses, and seconds per phase."""
    figures: dict[str, Any] = {}
    misses: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for split, labelled in rows.items():
        print(f"{split}: parsing {len(labelled)} messages...", flush=True)
        started = time.monotonic()
        answers = parse_all(engine.url, labelled)
        seconds[f"{split}_parse"] = round(time.monotonic() - started, 1)
        figures[split] = {"nlu": nlu_figures(labelled, answers)}
        if split == "tune":
            misses["nlu"] = nlu_misses(labelled, answers)
        if not dialogue:
            continue
        print(f"{split}: {len(labelled)} first replies through the REST channel...", flush=True)
        started = time.monotonic()
        conversations = converse_all(engine.url, labelled, split)
        seconds[f"{split}_dialogue"] = round(time.monotonic() - started, 1)
        figures[split]["dialogue"] = dialogue_figures(labelled, conversations)
        if split == "tune":
            misses["dialogue"] = dialogue_misses(labelled, conversations)
    return figures, misses, seconds


def run_services(
    rows: dict[str, list[Labelled]], model: Path, dialogue: bool, folder: Path
) -> tuple[dict[str, Any], dict[str, Any], dict[str, float]]:
    """Start the action server (if the dialogue is measured) and the engine, then measure."""
    if not dialogue:
        engine, startup = start_engine(f"http://127.0.0.1:{free_port()}", folder, model=model)
        with running(engine):
            print(f"engine up in {startup:.1f}s (no action server: --no-dialogue)", flush=True)
            return measure(engine, rows, dialogue)
    database_url = f"sqlite:///{folder / 'supportbot.db'}"
    prepare_database(database_url, load_demo=True).dispose()
    actions = start_actions(database_url, folder)
    with running(actions):
        engine, startup = start_engine(actions.url, folder, model=model)
        with running(engine):
            print(f"action server and engine up (engine in {startup:.1f}s)", flush=True)
            return measure(engine, rows, dialogue)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=("tune", "check", "both"), default="both")
    ap.add_argument("--no-dialogue", action="store_true", help="NLU figures only")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON figures")
    args = ap.parse_args()

    started, load_before = time.monotonic(), os.getloadavg()
    splits: list[Split] = [s for s in SPLITS if args.split in (s, "both")]
    rows: dict[str, list[Labelled]] = {split: load(split) for split in splits}
    print("model: ensuring it is trained (trains now if config or data changed)...", flush=True)
    model = trained_model()
    model_seconds = time.monotonic() - started
    print(f"model: {model} (ready in {model_seconds:.0f}s)", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-real-customers-") as tmp:
        figures, misses, seconds = run_services(rows, model, not args.no_dialogue, Path(tmp))
    load_after = os.getloadavg()
    wall = time.monotonic() - started

    for split in splits:
        report_nlu(split, figures[split]["nlu"])
        if "dialogue" in figures[split]:
            report_dialogue(split, figures[split]["dialogue"])
    run = {
        "split_sizes": {split: len(labelled) for split, labelled in rows.items()},
        "model": str(model),
        "nproc": os.cpu_count(),
        "loadavg_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "model_ready_seconds": round(model_seconds, 1),
        "phase_seconds": seconds,
        "wall_seconds": round(wall, 1),
    }
    print(
        f"\nrun: splits {run['split_sizes']}; model {model.name}; nproc {run['nproc']}; "
        f"load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
        f"wall {wall:.0f}s (model ready {model_seconds:.0f}s; phases {seconds})"
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    results = {"run": run, "splits": figures}
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"figures: {args.out}")
    if "tune" in rows:
        TUNE_MISSES.write_text(
            json.dumps(misses, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(f"tune misses (with texts): {TUNE_MISSES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
