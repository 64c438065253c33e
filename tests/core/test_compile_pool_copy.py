"""``tasks.compile_pool`` copies CPython's ``popen_forkserver.Popen._launch`` (about 15 lines)
to prepare the writers without the main module. This holds the copy to the running Python's
own: on a Python whose ``_launch`` changed, this fails and names what to review, instead of
the compile's writers breaking in some other way."""

from __future__ import annotations

import ast
import inspect
import textwrap
from multiprocessing import popen_forkserver

from danvan.tasks.compile_pool import _WriterPopen

#: Where ours differs on purpose: the preparation without the main module, and a module-level
#: closer of the two descriptors (``util.close_fds`` is not public).
OURS = {"spawn.get_preparation_data": "preparation_data", "util.close_fds": "_close_fds"}


def _body(source: str) -> str:
    """The function's statements as an AST dump: comments, quotes and line breaks aside."""
    fn = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(fn, ast.FunctionDef)
    return "\n".join(ast.dump(statement) for statement in fn.body)


def test_the_copied_launch_is_this_pythons_own() -> None:
    theirs = inspect.getsource(popen_forkserver.Popen._launch)  # type: ignore[attr-defined]
    for name, ours in OURS.items():
        theirs = theirs.replace(name, ours)
    assert _body(inspect.getsource(_WriterPopen._launch)) == _body(theirs), (
        "multiprocessing.popen_forkserver.Popen._launch of this Python differs from the copy in "
        "tasks/compile_pool.py (_WriterPopen._launch): review the copy against it"
    )
