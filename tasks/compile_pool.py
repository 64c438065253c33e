"""The compile's writer processes: started by a ``forkserver`` that never runs the caller's script.

Why not multiprocessing's own ``forkserver`` context: each process it starts first re-runs the
parent's main module (as ``__mp_main__``) before it takes its work, like ``spawn``. A user's own
script that calls ``danvan.cli.main()`` or the ``compile`` flow at its top level, with no
``if __name__ == "__main__":`` guard, would then run again in every writer: the writer starts a
compile of its own, multiprocessing refuses to start processes from a process still starting
(``RuntimeError``), the writer exits, and the compile ended ``[internal_error]`` with no word of
why. The writers need nothing of the main module — they run ``tasks.compile_write.write_one`` on
plain values — so these processes are started without it: the preparation data they get is
multiprocessing's, minus the two keys that name the main module. Everything else (the forkserver
itself, its preloaded writers, ``sys.path``, the working directory) is the standard library's.
"""

from __future__ import annotations

import io
import os
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.context import ForkServerContext, ForkServerProcess, set_spawning_popen
from multiprocessing.process import BaseProcess
from typing import Any

#: The keys of multiprocessing's preparation data that make a new process run the main module.
MAIN_KEYS = ("init_main_from_path", "init_main_from_name")


def preparation_data(name: str) -> dict[str, Any]:
    """What a writer process is prepared with: multiprocessing's data without the main module."""
    data = spawn.get_preparation_data(name)
    for key in MAIN_KEYS:
        data.pop(key, None)
    return data


class _WriterPopen(popen_forkserver.Popen):
    """``popen_forkserver.Popen`` whose child is prepared without the main module."""

    _fds: list[int]  # the standard library's (set by its __init__)

    def _launch(self, process_obj: BaseProcess) -> None:
        # CPython 3.11–3.13 ``popen_forkserver.Popen._launch``, with ``preparation_data`` (held
        # to the running Python's own by tests/core/test_compile_pool_copy.py)
        prep_data = preparation_data(process_obj._name)  # type: ignore[attr-defined]
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        # the parent's duplicate of the data pipe's write end: the child's sentinel of its parent
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, _close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


def _close_fds(*fds: int) -> None:
    for fd in fds:
        os.close(fd)


class _WriterProcess(ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: BaseProcess) -> _WriterPopen:  # multiprocessing's name
        return _WriterPopen(process_obj)


class WritersContext(ForkServerContext):
    """The ``forkserver`` context whose processes never run the main module (the module)."""

    Process = _WriterProcess


_CONTEXT = WritersContext()


def writers_context(preload: list[str]) -> WritersContext:
    """The writers' context, its forkserver preloading ``preload`` (one server per process,
    shared with multiprocessing's own ``forkserver`` context: an already running one is kept)."""
    _CONTEXT.set_forkserver_preload(preload)
    return _CONTEXT
