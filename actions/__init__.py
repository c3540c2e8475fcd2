"""The action server: everything the Rasa engine asks of our code (lookups, FAQ, handoff).

rasa-sdk registers every Action subclass found in this package's modules.
"""
