"""The inbox: every customer message, stored durably before the platform gets its 200."""
