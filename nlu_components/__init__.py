"""Custom graph components for the engine's NLU (Rasa 3.6, the engine's Python 3.10).

Imported by the engine only: this package imports nothing else of ours, and only what installs
into the engine's environment (requirements/engine.in).
"""
