"""check_code's precedence and its behaviour on input that is not a code at all."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import codes.orders
from codes import CodeCheck, check_code, find_codes
from codes.orders import load_order_formats
from codes.tracking import identify


@pytest.mark.parametrize("garbage", ["hello", "where is my parcel?", "1234", "ZZZZZZZZZZZZ", "#"])
def test_text_that_is_no_code_is_unrecognised(garbage: str) -> None:
    result = check_code(garbage)
    assert result == CodeCheck(
        raw=garbage,
        kind="unknown",
        normalized="",
        valid=False,
        problem="unrecognised",
        courier_code=None,
        courier_name=None,
        format_name=None,
        tracking_url=None,
        country=None,
    )


def test_empty_string_is_unrecognised() -> None:
    assert check_code("").problem == "unrecognised"
    assert check_code("", answering_question=True).kind == "unknown"
    assert find_codes("") == []


@pytest.mark.parametrize(
    "long_text",
    [
        "x" * 5000,
        "1" * 5000,
        "1 " * 2500,
        "a1 " * 1667,
        "#1234 " * 834,
        "GM " * 1667,
        "where is 1Z999AA10123456784 " * 185,
    ],
    ids=["letters", "digits", "spaced-digits", "mixed", "hashes", "prefixes", "sentences"],
)
def test_5000_characters_do_not_crash_and_are_fast(long_text: str) -> None:
    started = time.perf_counter()
    check_code(long_text)
    check_code(long_text, answering_question=True)
    find_codes(long_text)
    assert time.perf_counter() - started < 0.5


@pytest.fixture
def twelve_digit_order_codes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A brand whose order codes are 12 digits, the shape of FedEx Express numbers."""
    path = tmp_path / "formats.yml"
    path.write_text(
        "formats:\n  - name: twelve\n    pattern: '(?P<n>[0-9]{12})'\n    canonical: 'N{n}'\n",
        encoding="utf-8",
    )
    formats = load_order_formats(path)
    monkeypatch.setattr(codes.orders, "configured_order_formats", lambda: formats)


@pytest.mark.usefixtures("twelve_digit_order_codes")
def test_valid_tracking_number_beats_a_valid_order_code() -> None:
    assert check_code("986578788855").courier_code == "fedex"


@pytest.mark.usefixtures("twelve_digit_order_codes")
def test_valid_order_code_beats_a_tracking_number_with_a_wrong_check_digit() -> None:
    assert identify("986578788856")[0].problem == "check_digit"  # FedEx Express (12) shape
    result = check_code("986578788856")
    assert (result.kind, result.normalized) == ("order_code", "N986578788856")


def test_tracking_shaped_number_with_wrong_check_digit_when_nothing_else_fits() -> None:
    result = check_code("0307 1790 0005 2348 3742")  # USPS 20 with the last digit changed
    assert (result.kind, result.problem, result.courier_code) == (
        "tracking_number",
        "check_digit",
        "usps",
    )
