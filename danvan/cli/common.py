"""What every command shares: the instant it acts at, output formats, and clean failures."""

from __future__ import annotations

import functools
import io
import json
import os
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from danvan.rules.errors import Rejected
    from danvan.tasks.nudge import Notice

F = TypeVar("F", bound=Callable[..., Any])

AT_HELP = "Thời điểm thực hiện (ISO, giờ địa phương nếu không ghi múi giờ). Mặc định: bây giờ."


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class JsonOrText(StrEnum):
    text = "text"
    json = "json"


def parse_at(value: str | None) -> datetime:
    """``--at``: the instant a command acts at. Only the CLI may read the clock (as a default)."""
    import pendulum

    from danvan.config.settings import get_settings
    from danvan.rules.timing import parse_instant

    if value is None:
        return pendulum.now("UTC")
    try:
        at = parse_instant(value, get_settings().timezone)
    except OverflowError:  # 0001-01-01 local is before the first UTC instant
        usage_error(f"--at: “{value[:40]}” ngoài khoảng {YEARS[0]}–{YEARS[1]}.", "bad_at")
    except (ValueError, TypeError):
        usage_error(
            f"--at: “{value[:40]}” không phải ngày giờ ISO (vd. 2024-11-10T08:00).", "bad_at"
        )
    if not YEARS[0] <= at.year <= YEARS[1]:
        usage_error(f"--at: năm {at.year} ngoài khoảng {YEARS[0]}–{YEARS[1]}.", "bad_at")
    return at


#: The years a cycle (and an instant a command acts at) may have: the plan's own bounds.
YEARS = (2000, 2100)


def usage_error(message: str, code: str) -> NoReturn:
    """A wrong argument: one Vietnamese line with its code on stderr, exit 2 (SPEC §4)."""
    from typer._click.exceptions import UsageError
    from typer._click.globals import get_current_context

    # A UsageError (not a bare exit) so that it reads like every other usage error: the
    # command's usage line and the Vietnamese "Lỗi" panel of danvan/cli/vi.py.
    raise UsageError(f"{message} [{code}]", ctx=get_current_context(silent=True))


def check_cycle(value: int | None) -> int | None:
    """``--cycle``: a year the plan could have (a 20-digit number never reaches the database)."""
    if value is not None and not YEARS[0] <= value <= YEARS[1]:
        usage_error(f"--cycle: năm {value} ngoài khoảng {YEARS[0]}–{YEARS[1]}.", "bad_cycle")
    return value


def use_province(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """``--province CODE``: the province this command works for, when one database holds several
    (SPEC §4). It sets ``DANVAN_PROVINCE`` for the command (put back when it ends), so that the
    core's one cycle lookup (``danvan.models.context.find_context_cycle``) sees it through every
    task and flow the command runs, in-process or through Prefect alike."""
    code = check_code_option(ctx, param, value)
    if code is None:
        return None
    from danvan.config.settings import get_settings

    previous = os.environ.get(PROVINCE_ENV)
    os.environ[PROVINCE_ENV] = code
    get_settings.cache_clear()

    def restore() -> None:
        if previous is None:
            os.environ.pop(PROVINCE_ENV, None)
        else:
            os.environ[PROVINCE_ENV] = previous
        get_settings.cache_clear()

    ctx.call_on_close(restore)
    return code


PROVINCE_ENV = "DANVAN_PROVINCE"
#: ``--province``, one definition for every command that takes ``--cycle``.
Province = Annotated[
    str | None,
    typer.Option(
        "--province",
        help="Mã tỉnh, khi CSDL có nhiều tỉnh cùng kỳ (mặc định: DANVAN_PROVINCE).",
        callback=use_province,
    ),
]


def check_code_option(
    ctx: typer.Context, param: typer.CallbackParam, value: str | None
) -> str | None:
    """``--unit``/``--under``/``--by``: a unit code of SPEC §3.1's alphabet, NFC."""
    from danvan.rules.limits import code_problem, shown
    from danvan.rules.text import normalize_text

    if value is None:
        return None
    code = normalize_text(value)
    problem = code_problem(code)
    if problem is not None:
        usage_error(f"{param.opts[0]}: “{shown(code)}”: {problem}", "invalid_code")
    return code


def parse_day(value: str | None, option: str) -> date | None:
    """An ISO calendar date option (``--effective 2025-07-01``), None when not given."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{option}: '{value}' không phải ngày ISO (vd. 2025-07-01)"
        ) from exc


def print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n")


def print_json_line(doc: Any) -> None:
    """One JSON document on one line, flushed at once (JSON Lines: a reader gets it now)."""
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A text cell Excel would run as a formula (``=HYPERLINK(…)``, ``+84…``, ``@…``) gets a
    leading apostrophe, the usual guard; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: list[dict], columns: list[str]) -> str:
    """CSV for Excel: a UTF-8 byte-order mark first (else Excel reads Vietnamese as mojibake)."""
    import csv  # lazy: only CSV needs it (status's table and JSON do not)

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: csv_cell(r.get(k)) for k in columns} for r in rows)
    return "\ufeff" + buf.getvalue()


def print_csv(rows: list[dict], columns: list[str]) -> None:
    """Write :func:`csv_text` as UTF-8 bytes whatever the terminal's encoding."""
    data = csv_text(rows, columns).encode("utf-8")
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        buffer.write(data)
        buffer.flush()


def err(message: str) -> None:
    typer.echo(message, err=True)


def on_option(exc: Rejected, options: dict[str, str]) -> Rejected:
    """The same rejection with the portal's form fields named as the command's options
    (``ly_do`` → ``--reason``): the rule and its message are the core's, the door names the
    place where the user types."""
    from dataclasses import replace

    from danvan.rules.errors import Rejected

    problems = [replace(p, field=options.get(p.field, p.field)) for p in exc.problems]
    return Rejected(problems, file=exc.file, extra=exc.extra)


def handles_rejections(fn: F) -> F:
    """The CLI's edge: rejected input → its messages on stderr and exit 1; every other failure
    (database, files, a bug) → one Vietnamese line with an English code and exit 1, never a
    traceback. Nothing of a statement's parameters or a URL's password reaches the line."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from typer._click.exceptions import ClickException as TyperClickException

        from danvan.rules.errors import Rejected

        try:
            return fn(*args, **kwargs)
        except Rejected as exc:
            if [p.code for p in exc.problems] == ["ambiguous_cycle"]:  # a missing --province
                usage_error(exc.problems[0].message, "ambiguous_cycle")
            err(exc.render())
            raise typer.Exit(1) from None
        except _validation_errors() as exc:  # the settings (environment, .env) are wrong
            for e in exc.errors():  # type: ignore[attr-defined]
                name = "DANVAN_" + "_".join(str(x) for x in e["loc"]).upper()
                err(f"Cấu hình sai: {name}: {e['msg']} [invalid_settings]")
            raise typer.Exit(1) from None
        except typer.Exit:
            raise
        except TyperClickException:  # usage errors, also those raised inside a command
            raise
        except (
            Exception
        ) as exc:  # never a traceback; the text may carry data (see describe_failure)
            if isinstance(exc, _click_ends()):  # Click's own exit, usage error or abort
                raise
            if os.environ.get("DANVAN_TRACEBACKS"):  # a developer chasing a bug asks for it
                raise
            say_failure(exc)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _validation_errors() -> tuple[type[Exception], ...]:
    """Pydantic's ``ValidationError`` when Pydantic is loaded (only then can one be raised):
    importing it for every command cost ``status`` ~30 ms (issue 20)."""
    core = sys.modules.get("pydantic_core")
    return (core.ValidationError,) if core is not None else ()


def _click_ends() -> tuple[type[Exception], ...]:
    """Click's own ends of a command (a library may raise them), imported only once something
    was raised: importing Click cost every command, ``status`` included, ~20 ms."""
    import click

    return (click.exceptions.Exit, click.ClickException, click.Abort)


def say_failure(exc: BaseException) -> tuple[str, str]:
    """A failure no rule answered (the database, the disk, a bug) as one Vietnamese line with its
    code on stderr; the log gets the code and a redacted context. Returns (message, code)."""
    # lazy: the database layer loads only when a command fails, not on every start-up
    from danvan.models.db import describe_failure, redacted_context
    from danvan.tasks.intake import CutOff

    if isinstance(exc, CutOff):  # a batch cut off: what cut it off is the failure to name
        exc = exc.cause
    message, code = describe_failure(exc)
    _log().error("%s: %s", code, redacted_context(exc))
    err(f"{message} [{code}]")
    return message, code


def _log() -> Any:
    """The ``danvan.cli`` logger, set up on the first failure (``logging`` is not imported by a
    command that succeeds, ~7 ms of ``status``)."""
    import logging

    log = logging.getLogger("danvan.cli")
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())  # only handlers an operator configured see it
    return log


def tell(notices: Iterable[Notice]) -> None:
    """What the core says about Prefect after a step, one line each on stderr."""
    for notice in notices:
        err(notice.line())


def after_step(action: str, at: datetime, years: Iterable[int] | None = None) -> None:
    """The after-step work every door does (``tasks.nudge``): here, its notices printed."""
    # lazy: the Prefect client and the calendar load only after a step that changed the cycle
    from danvan.tasks.nudge import tell_prefect

    tell(tell_prefect(action, at, years))


def print_flags(doc: dict) -> None:
    """Below ``status``'s table: the figures to check, per unit, with the command that marks one."""
    open_flags = [(u, f) for u in doc["units"] for f in u.get("flags", ()) if not f["checked"]]
    if not open_flags:
        return
    typer.echo(f"\nSố liệu cần kiểm tra ({len(open_flags)}, chưa đánh dấu đã kiểm tra):")
    for u, f in open_flags:
        typer.echo(f"  ! {u['code']} {f['field']} [{f['kind']}]: {f['note']}")
    first_unit, first = open_flags[0]
    typer.echo(
        f"  Đã kiểm tra: danvan flag check --cycle {doc['cycle']} --unit {first_unit['code']}"
        f' --field {first["field"]} --by <mã đơn vị tổng hợp> --note "…"'
    )
