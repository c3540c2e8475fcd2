"""The local sandbox: the assistant's processes on loopback, for people, tests and benchmarks."""
