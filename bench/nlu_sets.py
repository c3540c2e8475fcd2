"""The NLU test sets in bench/data, read into plain examples (text, gold intent, gold entities).

Shared by bench/nlu_accuracy.py and bench/engine_latency.py. Example lines use the Rasa markup
`[1Z5R89390357567127](tracking_number)`: the markup is stripped to the text the customer wrote
and each annotation becomes a span of that text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent / "data"
TEST_SETS = {
    "heldout": DATA / "nlu_heldout.yml",
    "bitext": DATA / "nlu_bitext_test.yml",
    "clinc_oos": DATA / "nlu_clinc_oos_test.yml",
}
ENTITY_TYPES = ("tracking_number", "order_code")
_ANNOTATION = re.compile(r"\[(?P<value>[^\]]+)\]\((?P<entity>[^)]+)\)")


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[Entity, ...]


def base_intent(name: str) -> str:
    """Retrieval sub-intents `x/y` count as `x`."""
    return name.split("/", 1)[0]


def parse_example(raw: str, intent: str) -> Example:
    """One example line (without its leading `- `): markup stripped, annotations as spans."""
    text, entities, pos = "", [], 0
    for match in _ANNOTATION.finditer(raw):
        text += raw[pos : match.start()]
        value = match.group("value")
        entities.append(Entity(match.group("entity"), value, len(text), len(text) + len(value)))
        text += value
        pos = match.end()
    text += raw[pos:]
    return Example(text=text, intent=base_intent(intent), entities=tuple(entities))


def load(path: Path) -> list[Example]:
    """Every example of a Rasa 3.x NLU YAML file, in file order."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples = []
    for item in doc.get("nlu", []):
        if "intent" not in item:
            continue
        for line in str(item.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append(parse_example(line[2:].strip(), item["intent"]))
    return examples


def load_all() -> dict[str, list[Example]]:
    return {name: load(path) for name, path in TEST_SETS.items()}
