"""A stand-in for the inbox's `accept`: the durable inbox is tested in its own folder."""

from __future__ import annotations

from inbox.messages import InboundMessage


class AcceptRecorder:
    """Stands in for the inbox: records each batch the webhook hands over."""

    def __init__(self) -> None:
        self.batches: list[list[InboundMessage]] = []
        self.fail = False

    async def __call__(self, messages: list[InboundMessage]) -> None:
        if self.fail:
            raise RuntimeError("database is down")
        self.batches.append(messages)

    @property
    def messages(self) -> list[InboundMessage]:
        return [m for batch in self.batches for m in batch]
