"""The inbox: every customer message, stored durably before the platform gets its 200.

Connectors hand their `InboundMessage`s to `accept` (or the async `acceptor`); the router takes
them from the `inbox_messages` table in arrival order.
"""

from inbox.accept import AcceptResult, accept, acceptor
from inbox.poll_cursors import DatabaseCursorStore, read_poll_cursor, save_poll_cursor

__all__ = [
    "AcceptResult",
    "DatabaseCursorStore",
    "accept",
    "acceptor",
    "read_poll_cursor",
    "save_poll_cursor",
]
