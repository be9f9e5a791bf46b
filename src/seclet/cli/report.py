"""Print verdicts the way kubectl prints a create's outcome, and choose the exit code.

Role: one place for the CLI's output rules. kubectl shows a single failed object with
``cmdutil.CheckErr`` (``The Pod "p" is invalid: ...``, or the Status line for other
errors) and several failures one per line in the apiserver's Status form
(``Error from server (Invalid): error when creating "f.yaml": Pod "p" is invalid: [a, b]``).
Exit codes: 2 when any input was unusable, else 1 when any object was refused, else 0.
Callers: ``seclet.cli.validate``, ``seclet.cli.check``, ``seclet.cli.explain``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from seclet.review import kubectl_server_error

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_UNUSABLE = 2


@dataclass(frozen=True, slots=True)
class Failure:
    """One object kubectl would fail on.

    ``alone`` is kubectl's text when it is the only failure; ``listed`` the line it
    gets among several. ``unusable`` marks input that never became a valid object.
    """

    alone: str
    listed: str
    unusable: bool


def invalid_failure(source: str, alone: str, status_message: str) -> Failure:
    return Failure(alone, kubectl_server_error("Invalid", source, status_message), False)


def forbidden_failure(source: str, status_message: str) -> Failure:
    line = kubectl_server_error("Forbidden", source, status_message)
    return Failure(line, line, False)


def unusable_failure(text: str) -> Failure:
    return Failure(text, text, True)


def finish(failures: list[Failure], out: TextIO | None = None) -> int:
    """Print the failures as kubectl would and return the exit code."""
    stream = out if out is not None else sys.stdout
    if len(failures) == 1:
        print(failures[0].alone, file=stream)
    else:
        for f in failures:
            print(f.listed, file=stream)
    if any(f.unusable for f in failures):
        return EXIT_UNUSABLE
    return EXIT_REFUSED if failures else EXIT_OK
