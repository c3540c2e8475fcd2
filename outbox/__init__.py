"""The outbox: every reply (bot or person), stored before it is sent, sent until delivered."""
