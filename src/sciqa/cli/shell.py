"""What every ``sciqa`` command shares: a failure becomes one redacted line on stderr and a
non-zero exit; the pipeline is built from ``Settings`` and the command's options."""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from sciqa.errors import SciQAError
from sciqa.redaction import redact

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> None:
    click.echo(f"sciqa: error: {redact(message)}", err=True)
    sys.exit(code)


def clean_errors(func: F) -> F:
    """Turn any failure into one clear line and a non-zero exit."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SciQAError as e:
            fail(str(e))
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except OSError as e:
            if debugging():
                raise
            if e.errno in (errno.ENOSPC, errno.EDQUOT):
                fail(f"the disk is full ({e}); free some space and try again")
            where = f": {e.filename}" if e.filename else ""
            fail(f"{e.strerror or e}{where} (run with SCIQA_DEBUG=1 for details)", 2)
        except ValidationError as e:  # a SCIQA_* variable sciqa cannot use
            if debugging() or e.title != "Settings":
                raise
            fail(settings_error(e), 2)
        except Exception as e:
            if debugging():
                raise
            fail(f"unexpected {type(e).__name__}: {e} (run with SCIQA_DEBUG=1 for details)", 2)

    return wrapper  # type: ignore[return-value]


def settings_error(e: ValidationError) -> str:
    """One line naming each setting that is wrong and what it should be (never its value: it
    may be a password)."""
    wrong = "; ".join(
        f"SCIQA_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg'].lower()}"
        for err in e.errors()
    )
    return f"a setting is not valid ({wrong}); fix it in the environment"


def debugging() -> bool:
    """``SCIQA_DEBUG``, read through ``Settings``; False when the settings cannot be read at all
    (then that error is the one shown, in one line)."""
    from sciqa.settings import Settings

    try:
        return Settings().debug
    except Exception:
        return False


def make_pipeline(**overrides: Any) -> Any:
    from sciqa.pipeline import Pipeline
    from sciqa.settings import Settings

    return Pipeline(Settings(**{k: v for k, v in overrides.items() if v is not None}))
