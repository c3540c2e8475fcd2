"""The gateway: one aiohttp service holding the webhooks, the router and the outbox sender."""
