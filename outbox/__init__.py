"""The outbox: every reply (bot or person), stored before it is sent, sent until delivered.

`enqueue` adds replies (in the caller's transaction); `OutboxWorker` sends them through the
platforms' `PlatformSender`s.
"""

from outbox.enqueue import enqueue
from outbox.worker import OutboxWorker

__all__ = ["OutboxWorker", "enqueue"]
