"""Tracking numbers as customers write them, and how the interpreter reads the definitions."""

from __future__ import annotations

from codes import check_code
from codes.checksums import luhn, mod7, mod10, mod_37_36
from codes.definitions import pinned_characters, to_python_regex
from codes.tracking import identify


def test_ups_number_with_wrong_check_digit_is_reported() -> None:
    result = check_code("1Z999AA10123456785")
    assert result.kind == "tracking_number"
    assert (result.courier_code, result.courier_name) == ("ups", "UPS")
    assert not result.valid and result.problem == "check_digit"
    assert result.normalized == "1Z999AA10123456785"
    assert result.tracking_url is None


def test_valid_ups_number_links_to_its_tracking_page() -> None:
    result = check_code("1Z999AA10123456784")
    assert result.valid and result.problem is None and result.format_name == "UPS"
    assert result.tracking_url is not None and result.tracking_url.endswith("1Z999AA10123456784")


def test_lowercase_and_spaces_inside_a_number_are_accepted_and_normalised() -> None:
    result = check_code("1z 999 aa1 0123 4567 84")
    assert result.valid and result.courier_code == "ups"
    assert result.normalized == "1Z999AA10123456784"
    assert result.raw == "1z 999 aa1 0123 4567 84"


def test_punctuation_around_a_number_is_ignored() -> None:
    assert check_code(" (1Z999AA10123456784). ").normalized == "1Z999AA10123456784"


def test_s10_number_is_valid_with_its_issuing_country() -> None:
    result = check_code("RR123456785IT")
    assert result.valid and result.courier_code == "s10" and result.country == "IT"
    assert result.courier_name == "S10 International Standard"


def test_s10_number_from_an_unknown_country_is_not_valid() -> None:
    result = check_code("RB123456785XX")
    assert not result.valid and result.problem == "unrecognised" and result.kind == "unknown"


def test_s10_number_with_wrong_check_digit_still_names_the_country() -> None:
    result = check_code("RR123456786IT")
    assert result.problem == "check_digit" and result.courier_code == "s10"
    assert result.country == "IT"


def test_number_only_some_formats_accept_goes_to_the_valid_one() -> None:
    # 11 digits: DHL Express's shape, but its mod-7 check fails; Old Dominion's passes.
    assert check_code("07209562763").courier_code == "old_dominion"


def test_a_passed_check_digit_beats_a_bare_shape() -> None:
    # "A" + 10 digits is Amazon International's shape (no check digit) and UPS Waybill's.
    assert [m.format.id for m in identify("A1004444443") if m.valid] == [
        "ups_waybill",
        "amazon_international",
    ]
    assert check_code("A1004444443").courier_code == "ups"
    assert check_code("A1004444444").courier_code == "amazon"  # the Waybill check fails


def test_more_pinned_shape_wins_between_two_valid_readings() -> None:
    # Passes both FedEx Express (12) and Purolator (12); Purolator pins the first digit to 0-5.
    readings = [m.format.id for m in identify("287809468872") if m.valid]
    assert readings == ["purolator_numeric", "fedex_12"]
    assert check_code("287809468872").courier_code == "purolator"


def test_pinned_characters_counts_literals_and_narrow_classes() -> None:
    assert pinned_characters(to_python_regex(r"\s*1\s*Z\s*(?<SerialNumber>([0-9]\s*){16})")) == 2
    assert pinned_characters(r"(?P<SerialNumber>[0-5]\s*([0-9]\s*){10})") == 1
    assert pinned_characters(r"([A-Z]\s*){3}([0-9A-Z]\s*){9}") == 0


def test_definition_regex_is_converted_to_python_named_groups() -> None:
    assert to_python_regex(["(?<A>x)", "(?<!y)(?<=z)"]) == "(?P<A>x)(?<!y)(?<=z)"


def test_check_digit_algorithms_on_textbook_numbers() -> None:
    assert luhn("7992739871", "3", {})
    assert not luhn("7992739871", "4", {})
    assert mod7("331881002", "5", {})
    # UPS: letters count as (ASCII - 3) mod 10.
    assert mod10("999AA1012345678", "4", {"evens_multiplier": 1, "odds_multiplier": 2})
    # DPD: the check character can be a letter.
    assert mod_37_36("008182709980000020033350276", "C", {})
