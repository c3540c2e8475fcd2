"""Every test number shipped in the courier definitions is judged as the definitions say."""

from __future__ import annotations

import pytest

from codes import check_code
from codes.definitions import COURIERS_DIR, OUR_COURIERS_DIR, TrackingFormat, shipped_formats
from codes.tracking import identify, match_format, normalize

FORMATS = shipped_formats()

VALID = [
    pytest.param(fmt, number, id=f"{fmt.id}:{number}")
    for fmt in FORMATS
    for number in fmt.valid_examples
]
INVALID = [
    pytest.param(fmt, number, id=f"{fmt.id}:{number}")
    for fmt in FORMATS
    for number in fmt.invalid_examples
]

# Valid test numbers another courier's format also accepts, where identify()'s precedence
# prefers the other one: JFV... is both Purolator (3 letters + 9 digits) and DHL Express Piece ID
# (J + 2 letters + 9 digits); the DHL shape pins the J, so it is the more specific.
PREFERRED_ELSEWHERE = {"JFV247545960": "dhl_express_piece_id"}

# Invalid test numbers that are nevertheless valid numbers of another format: the data lists
# them as invalid for one format only.
VALID_ELSEWHERE = {
    "000000000000000": "fedex_ground",  # not Amazon Logistics, but passes FedEx Ground's check
    "000000000000": "purolator_numeric",  # not Amazon Logistics; passes Purolator and FedEx 12
    "331426749957": "purolator_numeric",  # not Purolator alpha; it is Purolator numeric
}


def test_all_shipped_formats_are_loaded() -> None:
    assert len(list(COURIERS_DIR.glob("*.json"))) == 18
    assert len(list(OUR_COURIERS_DIR.glob("*.json"))) == 1
    assert len(FORMATS) == 40
    assert len({fmt.id for fmt in FORMATS}) == len(FORMATS)


def test_every_format_ships_valid_and_invalid_test_numbers() -> None:
    assert all(fmt.valid_examples and fmt.invalid_examples for fmt in FORMATS)


@pytest.mark.parametrize(("fmt", "number"), VALID)
def test_valid_test_number_passes_its_own_format(fmt: TrackingFormat, number: str) -> None:
    match = match_format(fmt, normalize(number))
    assert match is not None and match.valid


@pytest.mark.parametrize(("fmt", "number"), VALID)
def test_valid_test_number_is_recognised_for_its_courier(fmt: TrackingFormat, number: str) -> None:
    result = check_code(number)
    assert result.kind == "tracking_number" and result.valid and result.problem is None
    assert result.normalized == normalize(number)
    if number in PREFERRED_ELSEWHERE:
        assert result.format_name == _format(PREFERRED_ELSEWHERE[number]).name
        assert fmt in [m.format for m in identify(number) if m.valid]
    else:
        assert result.courier_code == fmt.courier_code


@pytest.mark.parametrize(("fmt", "number"), INVALID)
def test_invalid_test_number_fails_its_own_format(fmt: TrackingFormat, number: str) -> None:
    match = match_format(fmt, normalize(number))
    assert match is None or not match.valid


@pytest.mark.parametrize(("fmt", "number"), INVALID)
def test_invalid_test_number_is_not_accepted(fmt: TrackingFormat, number: str) -> None:
    result = check_code(number)
    if number in VALID_ELSEWHERE:
        assert result.valid and result.format_name == _format(VALID_ELSEWHERE[number]).name
    else:
        assert not result.valid


def _format(format_id: str) -> TrackingFormat:
    return next(fmt for fmt in FORMATS if fmt.id == format_id)
