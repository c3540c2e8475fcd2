"""tweepy's async X API v2 client, pointed at `X_API_URL` (the real X API, or the simulator)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from oauthlib.oauth1 import Client as OAuth1Client
from tweepy.asynchronous import AsyncClient
from tweepy.errors import (
    BadRequest,
    Forbidden,
    HTTPException,
    NotFound,
    TooManyRequests,
    TwitterServerError,
    Unauthorized,
)
from yarl import URL

from settings import Settings

_ERRORS: dict[int, type[HTTPException]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
}


class XApiClient(AsyncClient):
    """`tweepy.asynchronous.AsyncClient` whose requests go to `api_url`.

    tweepy writes "https://api.twitter.com" + route inside `request`, and signs that URL (OAuth
    1.0a covers scheme, host and path) before sending. So rewriting the host later, in the session,
    would send a signature for the wrong URL: `request` is the seam, and it is replaced whole. It
    keeps tweepy's contract: every endpoint method (`_make_request`) works unchanged, errors are
    tweepy's exceptions, and it never sleeps on rate limits (the outbox decides when to retry).
    """

    def __init__(
        self,
        *,
        api_url: str,
        consumer_key: str | None,
        consumer_secret: str | None,
        access_token: str | None,
        access_token_secret: str | None,
        bearer_token: str | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 30.0,
    ) -> None:
        super().__init__(
            bearer_token=bearer_token,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            access_token=access_token,
            access_token_secret=access_token_secret,
            wait_on_rate_limit=False,
        )
        self.api_url = api_url.rstrip("/")
        self.session = session  # None: one session per request, as tweepy does
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credentials, so error texts can be scrubbed of them."""
        values = (
            self.bearer_token,
            self.consumer_key,
            self.consumer_secret,
            self.access_token,
            self.access_token_secret,
        )
        return tuple(value for value in values if value)

    async def request(
        self,
        method: str,
        route: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        user_auth: bool = False,
    ) -> aiohttp.ClientResponse:
        """Send one API request to `api_url + route`; raise tweepy's error for non-2xx."""
        url = self.api_url + route
        if params:
            # Fully percent-encoded, so the URL signed is byte for byte the URL sent.
            url += "?" + urlencode(sorted(params.items()), quote_via=quote, safe="")
        headers = {"User-Agent": self.user_agent}
        if user_auth:
            oauth = OAuth1Client(
                self.consumer_key,
                self.consumer_secret,
                self.access_token,
                self.access_token_secret,
            )
            url, headers, _ = oauth.sign(url, method, headers=headers)
        else:
            headers["Authorization"] = f"Bearer {self.bearer_token}"

        session = self.session or aiohttp.ClientSession()
        try:
            async with session.request(
                method, URL(url, encoded=True), json=json, headers=headers, timeout=self.timeout
            ) as response:
                await response.read()  # the body stays readable after the session closes
        finally:
            if self.session is None:
                await session.close()

        if 200 <= response.status < 300:
            return response
        try:
            body = await response.json(content_type=None)
        except ValueError:
            body = None  # a proxy's HTML error page, say
        body = body if isinstance(body, dict) else {}
        if response.status == 429:
            reset = response.headers.get("x-rate-limit-reset", "")
            reset_time = int(reset) if reset.isdigit() else None
            raise TooManyRequests(response, response_json=body, reset_time=reset_time)
        if response.status >= 500:
            raise TwitterServerError(response, response_json=body)
        raise _ERRORS.get(response.status, HTTPException)(response, response_json=body)


def build_client(settings: Settings, session: aiohttp.ClientSession | None = None) -> XApiClient:
    """The client for our account: OAuth 1.0a user context (DMs need it), against X_API_URL."""
    return XApiClient(
        api_url=settings.x_api_url,
        consumer_key=settings.x_consumer_key,
        consumer_secret=settings.x_consumer_secret,
        access_token=settings.x_access_token,
        access_token_secret=settings.x_access_token_secret,
        bearer_token=settings.x_bearer_token,
        session=session,
    )
