"""Order codes in the default formats, and the format file itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from codes import check_code
from codes.orders import load_order_formats, match_order
from settings import get_settings


@pytest.mark.parametrize(
    ("written", "canonical", "format_name"),
    [
        ("112-1234567-1234567", "112-1234567-1234567", "marketplace"),
        ("112 - 1234567 - 1234567", "112-1234567-1234567", "marketplace"),
        ("112 1234567 1234567", "112-1234567-1234567", "marketplace"),
        ("#12345", "#12345", "shop"),
        ("#12345678", "#12345678", "shop"),
        ("ORD-7F3K9Q", "ORD-7F3K9Q", "ord"),
        ("ord-7f3k9q", "ORD-7F3K9Q", "ord"),
        ("Ord - ab12", "ORD-AB12", "ord"),
    ],
)
def test_order_code_in_a_default_format_is_valid_in_canonical_form(
    written: str, canonical: str, format_name: str
) -> None:
    result = check_code(written)
    assert (result.kind, result.valid, result.problem) == ("order_code", True, None)
    assert (result.normalized, result.format_name) == (canonical, format_name)
    assert result.courier_code is None and result.tracking_url is None


@pytest.mark.parametrize(
    "written", ["#123", "#123456789", "ORD-ABC", "ORD-ABCDEFGHIJKLM", "ORD_1234"]
)
def test_code_just_outside_a_default_format_is_unknown(written: str) -> None:
    assert check_code(written).kind == "unknown"


def test_bare_digits_are_a_shop_number_only_when_answering_the_question() -> None:
    assert check_code("12345").kind == "unknown"
    answer = check_code("12345", answering_question=True)
    assert (answer.kind, answer.normalized, answer.format_name) == ("order_code", "#12345", "shop")


def test_answering_the_question_still_prefers_the_strict_patterns() -> None:
    answer = check_code("ORD-7F3K9Q", answering_question=True)
    assert answer.normalized == "ORD-7F3K9Q"


def test_default_formats_come_from_the_settings_path() -> None:
    assert get_settings().order_formats_path.name == "order_formats.yml"
    assert [f.name for f in load_order_formats()] == ["marketplace", "shop", "ord"]


def test_a_brand_can_configure_its_own_formats(tmp_path: Path) -> None:
    path = tmp_path / "formats.yml"
    path.write_text(
        "formats:\n  - name: web\n    pattern: 'W(?P<n>[0-9]{6})'\n    canonical: 'W{n}'\n",
        encoding="utf-8",
    )
    formats = load_order_formats(path)
    match = match_order("w123456", formats)
    assert match is not None and match.code == "W123456"
    assert match_order("#12345", formats) is None


def test_misspelt_key_in_the_format_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "formats.yml"
    path.write_text(
        "formats:\n  - name: web\n    patern: 'W[0-9]{6}'\n    canonical: 'W'\n", encoding="utf-8"
    )
    with pytest.raises(ValidationError):
        load_order_formats(path)


def test_canonical_form_naming_a_missing_group_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "formats.yml"
    path.write_text(
        "formats:\n  - name: web\n    pattern: 'W[0-9]{6}'\n    canonical: 'W{n}'\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="no group"):
        load_order_formats(path)


def test_a_hash_then_a_space_is_an_order_number_only_as_an_answer() -> None:
    # "tracking # 4209 0272 ..." is common: a spaced hash must not turn a tracking number into
    # an order code in free text, but "# 12345" is fine as the reply to "what's your order number?"
    assert not check_code("# 12345678").valid
    answered = check_code("# 12345678", answering_question=True)
    assert answered.valid and answered.normalized == "#12345678"
