"""`MessengerProfiles`: a customer's name from the Graph User Profile API.

Messenger webhooks carry only the page-scoped id (PSID); the name is one more request,
`GET {graph_api_url}/{psid}?fields=first_name,last_name`. The desk asks for it in the
background, never on the message's path, so a slow or refusing Graph API costs a ticket its
name for a while and nothing else. The token travels in the `Authorization` header (as in
`send.py`), and neither it nor the name is ever logged.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import aiohttp

from connectors.messenger.outcomes import GraphError
from settings import Settings

logger = logging.getLogger(__name__)

# PSIDs are numbers; anything else would change the path we ask for (`me`, `../`), so is not asked.
_PSID = re.compile(r"[0-9]{1,32}")


class MessengerProfiles:
    """Looks up Messenger customers' names with the page access token."""

    def __init__(
        self,
        *,
        page_access_token: str,
        graph_api_url: str,
        session: aiohttp.ClientSession,
        timeout_seconds: float = 3.0,
    ) -> None:
        """`session` is borrowed: the caller closes it."""
        if not page_access_token:
            raise ValueError("a page access token is needed to read Messenger profiles")
        self._token = page_access_token
        self._base = graph_api_url.rstrip("/")
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    @classmethod
    def from_settings(cls, settings: Settings, session: aiohttp.ClientSession) -> MessengerProfiles:
        """Profiles read with MESSENGER_PAGE_ACCESS_TOKEN from GRAPH_API_URL."""
        if not settings.messenger_page_access_token:
            raise ValueError("MESSENGER_PAGE_ACCESS_TOKEN is not set: cannot read profiles")
        return cls(
            page_access_token=settings.messenger_page_access_token,
            graph_api_url=settings.graph_api_url,
            session=session,
        )

    async def name(self, psid: str) -> str | None:
        """The customer's "First Last", or None when Meta does not say (unknown user, no
        permission, an error, a timeout). Never raises for HTTP or network trouble."""
        if not _PSID.fullmatch(psid):
            logger.info("Messenger profile not asked: the customer id is not a page-scoped id")
            return None
        try:
            async with self._session.get(
                f"{self._base}/{psid}",
                params={"fields": "first_name,last_name"},
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=self._timeout,
            ) as response:
                status, raw = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            reason = self._redact(f"{type(error).__name__}: {error}")
            logger.info("Messenger profile for %s: unreachable (%s)", psid, reason)
            return None
        body = _json_or_none(raw)
        if not 200 <= status < 300:
            problem = GraphError.from_body(status, body).describe()
            logger.info("Messenger profile for %s: refused (%s)", psid, self._redact(problem))
            return None
        name = _full_name(body)
        if name is None:
            logger.info("Messenger profile for %s: no name in the answer", psid)
        return name

    def _redact(self, text: str) -> str:
        """Graph error messages may quote the token back."""
        return text.replace(self._token, "[redacted]")


def _full_name(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    parts = [body.get("first_name"), body.get("last_name")]
    name = " ".join(p for p in parts if isinstance(p, str))
    name = re.sub(r"\s+", " ", name).strip()
    return name or None


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
