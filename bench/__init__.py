"""Benchmarks of the façade over the emulator on loopback: `python -m bench` (see README)."""
