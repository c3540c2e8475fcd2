"""The support desk: a handoff becomes a ticket that people own until they close it or hand the
conversation back to the bot.

`tickets` is the core (queue, claim, reply, notes, return to bot, close), `priority` and `sla`
rank and time tickets, `staff` signs people in, `preferences` holds what admins configure,
`reports` measures the service, and `web` is the console and its JSON API.
"""
