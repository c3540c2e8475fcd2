"""The brand's order & shipment store, and the handoff requests the bot records.

Modules: `models` (tables), `db` (engines, sessions, migrations), `lookup` (what the bot reads),
`handoffs` (what the bot writes), `importer` (CSV import CLI) with `cells` (parsing a value) and
`canonical` (the stored spelling of a code), `demo` (demo data set), `business_hours` (when the
support team is in).
"""
