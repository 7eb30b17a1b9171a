"""Benchmarks that print tables: run with `python -m grading.benchmarks.<name>`."""
