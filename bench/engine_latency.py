"""Wall-clock latency of the engine: NLU parse and a full turn through the REST channel.

    scripts/app.sh bench/engine_latency.py [--messages 500] [--per-sender 5]

Starts the action server (on an SQLite file in a temporary directory, demo data loaded) and the
engine on the current model, warms both up, then sends the same N messages (drawn
deterministically from bench/data/nlu_heldout.yml) one at a time, first to `POST /model/parse`,
then to `POST /webhooks/rest/webhook` (NLU + policies + action server calls: a whole turn).

A new sender (a new conversation) starts every `--per-sender` messages, and also right after a
turn in which the bot handed the conversation to a person or answered nothing: a handoff pauses the
conversation, and a paused conversation gets no replies, so it would measure nothing. Turns that
returned no messages are counted and reported. Prints mean, p50, p99 and max per measurement,
the machine's CPU count and its load average; the figures also go to
bench/results/engine_latency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
import yaml

from bench.nlu_sets import TEST_SETS, Example, load
from sandbox.stack import running, start_actions, start_engine, trained_model
from settings import REPO_ROOT

RESULTS = Path(__file__).resolve().parent / "results" / "engine_latency.json"
SEED = "supportbot-bench-latency-v1"
WARMUP = 20
METADATA = {"platform": "messenger", "user_name": "Bench Customer"}


def draw(examples: list[Example], count: int) -> list[str]:
    """`count` message texts: the set shuffled with a fixed seed, again and again as needed."""
    rng = random.Random(SEED)
    texts: list[str] = []
    while len(texts) < count:
        batch = [e.text for e in examples]
        rng.shuffle(batch)
        texts += batch
    return texts[:count]


def handoff_openings() -> list[str]:
    """The fixed opening of each handoff response (text before the first placeholder)."""
    domain = yaml.safe_load((REPO_ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))
    responses = domain.get("responses", {})
    return [
        variant["text"].split("{", 1)[0].strip()
        for name in ("utter_handoff_open", "utter_handoff_closed")
        for variant in responses.get(name, [])
        if variant.get("text")
    ]


def summary(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "n": len(ms),
        "mean_ms": round(statistics.fmean(ms), 1),
        "p50_ms": round(cuts[49], 1),
        "p99_ms": round(cuts[98], 1),
        "max_ms": round(ms[-1], 1),
    }


def time_parse(http: requests.Session, engine_url: str, texts: list[str]) -> list[float]:
    seconds = []
    for text in texts:
        started = time.perf_counter()
        reply = http.post(f"{engine_url}/model/parse", json={"text": text}, timeout=60)
        seconds.append(time.perf_counter() - started)
        reply.raise_for_status()
    return seconds


def time_turns(
    http: requests.Session, engine_url: str, texts: list[str], per_sender: int, prefix: str
) -> tuple[list[float], dict[str, int]]:
    """Seconds per REST turn, and counts: senders used, empty replies, handoffs seen."""
    openings = handoff_openings()
    seconds = []
    counts = {"senders": 1, "empty_replies": 0, "handoffs": 0}
    sender, in_sender = f"{prefix}-0", 0
    for text in texts:
        if in_sender >= per_sender:
            sender, in_sender = f"{prefix}-{counts['senders']}", 0
            counts["senders"] += 1
        payload = {"sender": sender, "message": text, "metadata": METADATA}
        started = time.perf_counter()
        reply = http.post(f"{engine_url}/webhooks/rest/webhook", json=payload, timeout=60)
        seconds.append(time.perf_counter() - started)
        reply.raise_for_status()
        messages: list[dict[str, Any]] = reply.json()
        in_sender += 1
        handed_off = any(
            opening and str(m.get("text", "")).startswith(opening)
            for m in messages
            for opening in openings
        )
        counts["handoffs"] += handed_off
        counts["empty_replies"] += not messages
        if handed_off or not messages:
            in_sender = per_sender  # paused (or stuck): the next message starts a new conversation
    return seconds, counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=500)
    ap.add_argument("--per-sender", type=int, default=5)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    examples = load(TEST_SETS["heldout"])
    texts = draw(examples, args.messages)
    warmup = draw(list(reversed(examples)), WARMUP)
    model = trained_model()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        logs = Path(tmp)
        actions = start_actions(f"sqlite:///{logs / 'bench.db'}", logs)
        with running(actions):
            engine, startup = start_engine(
                actions.url, logs, model=model, tracker_db=logs / "tracker.db"
            )
            with running(engine), requests.Session() as http:
                print(f"model {model.name}; engine up in {startup:.1f}s; warming up...", flush=True)
                time_parse(http, engine.url, warmup)
                time_turns(http, engine.url, warmup, args.per_sender, "warmup")
                print(f"timing {len(texts)} parses...", flush=True)
                parse = time_parse(http, engine.url, texts)
                print(f"timing {len(texts)} REST turns...", flush=True)
                turns, counts = time_turns(http, engine.url, texts, args.per_sender, "bench")
    load_after = os.getloadavg()

    results = {
        "model": model.name,
        "nproc": os.cpu_count(),
        "loadavg_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "messages": len(texts),
        "per_sender": args.per_sender,
        "parse": summary(parse),
        "rest_turn": summary(turns),
        "rest_counts": counts,
    }
    print(
        f"machine: nproc {results['nproc']}, load average (1 min) "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    for name in ("parse", "rest_turn"):
        s = results[name]
        label = "POST /model/parse" if name == "parse" else "REST turn (full)"
        print(
            f"{label:18s}: mean {s['mean_ms']:7.1f} ms  p50 {s['p50_ms']:7.1f} ms  "
            f"p99 {s['p99_ms']:7.1f} ms  max {s['max_ms']:7.1f} ms  (n={s['n']}, sequential)"
        )
    print(
        f"REST turns: {counts['senders']} senders, {counts['handoffs']} handoffs, "
        f"{counts['empty_replies']} turns returned no messages"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"figures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
