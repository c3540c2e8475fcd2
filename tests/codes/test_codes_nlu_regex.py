"""The engine's regex file: up to date, well formed, and finding exactly the codes as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from codes import find_codes
from codes.definitions import shipped_formats
from codes.nlu_regex import NLU_FILE, main, render

SENTENCES = [
    ("where is my parcel 1Z999AA10123456784??", ["1Z999AA10123456784"], []),
    ("order #12345 hasn't arrived", [], ["#12345"]),
    ("tracking: 1z 999 aa1 0123 4567 84 thanks", ["1z 999 aa1 0123 4567 84"], []),
    ("usps says 9400 1112 0108 0805 4830 16.", ["9400 1112 0108 0805 4830 16"], []),
    ("Sent RR123456785IT and ORD-7f3k9q", ["RR123456785IT"], ["ORD-7f3k9q"]),
    ("it's 112-1234567-1234567, order#98765", [], ["112-1234567-1234567", "#98765"]),
    ("GM2951173225174494 and the other one", ["GM2951173225174494"], []),
    ("X1Z999AA10123456784 is not one, nor is #123456789", [], []),
    # Long numbers written in groups are read whole, not cut at a shorter format's length.
    ("fedex 9611 0209 8765 4312 3456 72 ok", ["9611 0209 8765 4312 3456 72"], []),
    ("4207 8745 9400 1112 0620 6406 2607 87", ["4207 8745 9400 1112 0620 6406 2607 87"], []),
    ("is D 100 113 459 830 10", ["D 100 113 459 830 10"], []),
    (
        "two:\n1Z999AA10123456784\n1Z999AA10123456793",
        ["1Z999AA10123456784", "1Z999AA10123456793"],
        [],
    ),
]


def _engine_patterns() -> dict[str, list[str]]:
    """The patterns as Rasa reads them: each `- ` line of an entry's examples, stripped."""
    document = yaml.safe_load(NLU_FILE.read_text(encoding="utf-8"))
    assert document["version"] == "3.1"
    return {
        entry["regex"]: [line[1:].strip() for line in entry["examples"].splitlines()]
        for entry in document["nlu"]
    }


def test_committed_regex_file_is_up_to_date() -> None:
    assert main(["--check"]) == 0, "run `python -m codes.nlu_regex`"


def test_check_reports_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "codes_regex.yml"
    stale.write_text("nlu: []\n", encoding="utf-8")
    assert main(["--check"], target=stale) == 1
    assert main([], target=stale) == 0 and stale.read_text(encoding="utf-8") == render()
    assert main(["--check"], target=stale) == 0


def test_regex_file_has_one_plain_pattern_per_entity() -> None:
    patterns = _engine_patterns()
    assert list(patterns) == ["tracking_number", "order_code"]
    for (pattern,) in patterns.values():
        assert "(?P<" not in pattern
        assert re.compile(pattern).groups == 0


@pytest.mark.parametrize(("sentence", "tracking", "orders"), SENTENCES)
def test_engine_patterns_find_exactly_the_codes_as_written(
    sentence: str, tracking: list[str], orders: list[str]
) -> None:
    patterns = _engine_patterns()
    for entity, expected in (("tracking_number", tracking), ("order_code", orders)):
        (pattern,) = patterns[entity]
        found = [m.group() for m in re.finditer(pattern, sentence, re.IGNORECASE)]
        assert found == expected


@pytest.mark.parametrize(("sentence", "tracking", "orders"), SENTENCES)
def test_find_codes_returns_the_exact_spans(
    sentence: str, tracking: list[str], orders: list[str]
) -> None:
    spans = find_codes(sentence)
    assert all(sentence[start:end] == text for start, end, text in spans)
    assert sorted(text for _, _, text in spans) == sorted(tracking + orders)


@pytest.mark.parametrize(
    "number",
    sorted({n.strip() for fmt in shipped_formats() for n in fmt.valid_examples}),
)
def test_every_valid_test_number_is_found_whole_in_a_sentence(number: str) -> None:
    sentence = f"Hi, my number is {number}, thanks"
    assert find_codes(sentence) == [(17, 17 + len(number), number)]
