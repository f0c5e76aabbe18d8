"""The service's clock: every "now" of the service (a request's arrival, an answer's Time and Next,
a metric's timestamp) is taken here.

now() is the system's UTC time plus an offset in seconds that tests and `stopmotion serve --clock`
set through a file: env STOPMOTION_CLOCK_FILE names it (the local stack always sets it, to
<its data dir>/clock), and it holds one decimal number of seconds, read at every call (a small
file; no cache to go stale between a test's set and the next request). No variable or no file:
offset 0. Inside Lambda (AWS_LAMBDA_FUNCTION_NAME is set) the variable must not be set at all: a
deployed stage runs on the real clock, and one that names a clock file fails every request
instead of answering cameras with a wrong time.
"""

import math
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

ENV = "STOPMOTION_CLOCK_FILE"
LAMBDA_ENV = "AWS_LAMBDA_FUNCTION_NAME"  # set by the Lambda runtime in every function
MAX_OFFSET_S = 100 * 365 * 86400  # a century either way: beyond that a typo, not a test


class ClockError(RuntimeError):
    """The clock is misconfigured: a clock file in Lambda, or a file that holds no offset."""


def offset_s(environ=os.environ) -> float:
    """Seconds the service's clock is ahead of the system's (negative: behind)."""
    name = environ.get(ENV)
    if not name:
        return 0.0
    if environ.get(LAMBDA_ENV):
        raise ClockError(f"{ENV} is set inside Lambda: the clock offset is for the local stack "
                         "only; remove it from the stage's environment variables")
    try:
        text = Path(name).read_text()
    except FileNotFoundError:
        return 0.0
    except OSError as err:
        raise ClockError(f"clock file {name} unreadable: {err}") from err
    try:
        offset = float(text.strip())
    except ValueError:
        offset = math.nan
    if not math.isfinite(offset) or abs(offset) > MAX_OFFSET_S:
        raise ClockError(f"clock file {name} holds {text.strip()[:40]!r}: write the offset in "
                         "seconds as one decimal number, e.g. 3600 or -86400.5")
    return offset


def now(environ=os.environ) -> datetime:
    """The service's time: aware UTC, the system's clock plus offset_s()."""
    return datetime.now(UTC) + timedelta(seconds=offset_s(environ))


def write_offset(path: Path, offset: float) -> None:
    """Sets the clock of a service that reads `path` (atomically: a request never reads half a
    number)."""
    if not math.isfinite(offset) or abs(offset) > MAX_OFFSET_S:
        raise ValueError(f"a clock offset of {offset} s is out of range (at most a century)")
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text(f"{offset!r}\n")
    part.replace(path)
