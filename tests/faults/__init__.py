"""Helpers for the fault tests (tests/test_faults.py): real servers and workers to kill, and a small browser."""
