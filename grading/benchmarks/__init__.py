"""Benchmarks that print tables: run with `python -m grading.benchmarks.<name>`."""


def console(width: int = 120):
    """A rich Console for a benchmark's table: the terminal's width, or `width` when the output is a file or a
    pipe (which rich would otherwise treat as 80 columns, or as narrow as $COLUMNS says)."""
    from rich.console import Console

    return Console(highlight=False, width=None if Console().is_terminal else width)
