"""Last-resort guard: one file that breaks something unforeseen never stops the others.

Every known way a file can be wrong is a :class:`Rejected` with its own code, raised by the rules
or the loader; this guard is for the rest — a bug, a value nobody thought of. Such a file is
answered ``[internal_error]`` like any other rejection (its transaction rolled back, nothing
changed), and the next file of the batch is still read. The log line carries the exception's
type and the code only: the exception's text may quote the file's content or SQL parameters
(contact URLs with their passwords), so it is never written anywhere.

Errors of the database itself (cannot connect, no tables) are not about the file: they go up,
so the command says what is wrong once instead of rejecting every file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError

from danvan.rules.errors import Rejected, reject

T = TypeVar("T")
log = logging.getLogger("danvan.intake")

#: Trouble with the database, not with the file: never turned into a rejection of the file.
PASS_THROUGH: tuple[type[BaseException], ...] = (OperationalError, ProgrammingError, InterfaceError)

MESSAGE = (
    "Không xử lý được tệp do lỗi nội bộ; tệp không được ghi nhận. "
    "Hãy báo cho quản trị hệ thống (mã lỗi bên cạnh)."
)


def internal_error(exc: BaseException, file: str | None = None) -> Rejected:
    """The rejection for an unforeseen failure; logs the exception's type, never its text."""
    log.error("internal_error: %s while handling one input file", type(exc).__name__)
    return reject("internal_error", "", MESSAGE, file=file)


def guarded(file: str, action: Callable[[], T]) -> T:
    """Run ``action``; an unforeseen exception becomes ``[internal_error]`` for ``file``."""
    try:
        return action()
    except Rejected:
        raise
    except PASS_THROUGH:
        raise
    except Exception as exc:
        raise internal_error(exc, file) from None
