"""X (Twitter) direct messages: Account Activity webhooks or polling in, API v2 DMs out.

webhook.routes() (CRC + signed POSTs) → events.parse_activity() → the inbox's `accept`;
polling.run_polling() for accounts without webhooks; send.XSender is the outbox's port,
through api.XApiClient (tweepy's async client aimed at X_API_URL).
"""
