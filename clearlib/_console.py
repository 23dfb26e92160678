"""What the command-line tools share: consoles, and turning expected errors into one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.text import Text

__all__ = ["expected_errors", "stderr", "stdout"]


def stdout() -> Console:
    """A console for results."""
    return Console(highlight=False)


def stderr() -> Console:
    """A console for progress and errors."""
    return Console(stderr=True, highlight=False)


@contextmanager
def expected_errors() -> Iterator[None]:
    """Turn a ClearlibError into ``ErrorName: message`` on stderr and exit status 1.

    Anything else is a bug and keeps its traceback.
    """
    from clearlib import ClearlibError

    try:
        yield
    except ClearlibError as exc:
        message = Text.assemble((f"{type(exc).__name__}: ", "bold red"), (str(exc), "red"))
        stderr().print(message, soft_wrap=True)
        raise typer.Exit(1) from None
