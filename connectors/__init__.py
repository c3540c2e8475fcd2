"""Platform connectors (X, Messenger): each platform's quirks live in its own folder here."""
