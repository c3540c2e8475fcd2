"""Render domain responses into text fragments that other responses embed.

Customer-facing text lives only in the domain; when an answer is assembled from parts (latest
scan, expected delivery, a link), the parts are domain responses too, rendered here.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.types import DomainDict

_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


def render(domain: DomainDict, name: str, **values: Any) -> str:
    """The first variation of response `name`, with `{placeholders}` filled from `values`."""
    try:
        text = domain["responses"][name][0]["text"]
    except (KeyError, IndexError) as error:
        raise KeyError(f"the domain has no text response named {name!r}") from error
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)
