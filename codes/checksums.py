"""Check-digit algorithms named by the courier definitions' `validation.checksum`.

Each function takes the serial number, the check digit (both without spaces) and the checksum's
settings from the definition, and says whether the check digit is right. They follow
CHECKSUM_ALGORITHMS.md and the reference Ruby gem exactly, including their quirks.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from typing import Any

Settings = Mapping[str, Any]
_ALPHANUMERIC = string.digits + string.ascii_uppercase


def _digit(char: str) -> int:
    # Ruby's `to_i`: a letter counts as 0.
    return int(char) if char.isdigit() else 0


def mod10(serial: str, check: str, settings: Settings) -> bool:
    """Weighted sum, alternating multipliers; letters count as (ASCII - 3) mod 10."""
    chars = serial[::-1] if settings.get("reverse") else serial
    total = 0
    for i, char in enumerate(chars):
        value = int(char) if char.isdigit() else (ord(char) - 3) % 10
        key = "odds_multiplier" if i % 2 else "evens_multiplier"
        total += value * int(settings.get(key, 1))
    return (-total) % 10 == _digit(check)


def mod7(serial: str, check: str, settings: Settings) -> bool:
    """The serial number read as an integer, modulo 7."""
    return int(serial) % 7 == _digit(check)


def luhn(serial: str, check: str, settings: Settings) -> bool:
    """Standard Luhn: double every second digit from the right of the serial number."""
    total = 0
    for i, char in enumerate(reversed(serial)):
        value = _digit(char) * (2 if i % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (-total) % 10 == _digit(check)


def s10(serial: str, check: str, settings: Settings) -> bool:
    """UPU S10: weighted sum mod 11, where remainder 0 gives 5 and remainder 1 gives 0."""
    total = sum(_digit(c) * int(w) for c, w in zip(serial, settings["weightings"], strict=False))
    remainder = total % int(settings["modulo"])
    expected = {0: 5, 1: 0}.get(remainder, 11 - remainder)
    return expected == _digit(check)


def sum_product_with_weightings_and_modulo(serial: str, check: str, settings: Settings) -> bool:
    """Weighted sum, then modulo `modulo1`, then modulo `modulo2` (FedEx)."""
    total = sum(_digit(c) * int(w) for c, w in zip(serial, settings["weightings"], strict=False))
    return total % int(settings["modulo1"]) % int(settings["modulo2"]) == _digit(check)


def mod_37_36(serial: str, check: str, settings: Settings) -> bool:
    """ISO 7064 MOD 37,36 (DPD); the check character may be a letter."""
    alphabet: str = settings.get("alphabet", _ALPHANUMERIC)
    mod = len(alphabet)
    cd = mod
    for char in serial:
        cd += alphabet.index(char)
        if cd > mod:
            cd -= mod
        cd *= 2
        if cd > mod:
            cd -= mod + 1
    cd = (mod + 1 - cd) % mod
    return alphabet[cd] == check


ALGORITHMS: dict[str, Callable[[str, str, Settings], bool]] = {
    "mod10": mod10,
    "mod7": mod7,
    "luhn": luhn,
    "s10": s10,
    "sum_product_with_weightings_and_modulo": sum_product_with_weightings_and_modulo,
    "mod_37_36": mod_37_36,
}
