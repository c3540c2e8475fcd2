"""An in-memory inbox for the X connector's tests."""

from __future__ import annotations

from inbox.messages import InboundMessage

ACCOUNT_ID = "1000"  # our X account in the simulator


class Inbox:
    """An in-memory `accept`: what the connector handed over, batch by batch."""

    def __init__(self, *, fail: bool = False) -> None:
        self.batches: list[list[InboundMessage]] = []
        self.fail = fail  # a failing inbox (database down): `accept` raises

    async def accept(self, messages: list[InboundMessage]) -> None:
        if self.fail:
            raise RuntimeError("inbox unavailable")
        self.batches.append(list(messages))

    @property
    def messages(self) -> list[InboundMessage]:
        return [message for batch in self.batches for message in batch]
