"""Fakes of X and Messenger: real HTTP servers on loopback for tests, benchmarks and the sandbox."""
