"""A receiving endpoint for the bench's messages, in a process of its own.

Why a process: the bench counts the CPU of its own process (the portal's threads and the
client's) as the cost of a request. A unit's phone or mail server is not the portal's work, so
the endpoint that receives the receipts runs beside it, answers every post at once (one try,
as a live contact does) and is not counted. A dead contact would cost three tries and their
back-off, which is the cost of a broken address, not of an upload.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: The demo's own mailbox (:func:`danvan.demo.run.local_inbox`), served until terminated.
_SERVE = """
import threading
from danvan.demo.run import local_inbox

with local_inbox() as (url, _received):
    print(url, flush=True)
    threading.Event().wait()
"""


@contextmanager
def receiving_sink() -> Iterator[str]:
    """An Apprise ``json://`` address on 127.0.0.1 whose endpoint answers 200 to every post,
    served by a child process for the block's length."""
    child = subprocess.Popen([sys.executable, "-c", _SERVE], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        yield f"{child.stdout.readline().strip()}/danvan-bench"
    finally:
        child.terminate()
        child.wait(timeout=10)
