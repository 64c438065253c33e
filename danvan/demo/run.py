"""``danvan demo``: a whole simulated cycle on the bundled sample province (tỉnh mẫu Quảng Ngãi).

Everything is real: a fresh SQLite database in the output folder, the same flows the commands
run (through Prefect unless ``--no-prefect``), messages delivered through Apprise to an HTTP
endpoint on 127.0.0.1 that the demo starts itself, and the compiled reports written to disk.
Submissions are generated from a fixed seed, so every run tells the same story.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, redirect_stderr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from danvan.config.settings import get_settings
from danvan.demo.data import prepare_files
from danvan.demo.story import play
from danvan.runtime import local as prefect_local
from danvan.runtime.local import LocalServer


@contextmanager
def local_inbox() -> Iterator[tuple[str, list[dict]]]:
    """An HTTP endpoint on 127.0.0.1 recording what Apprise's ``json://`` posts to it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            doc = json.loads(body or b"{}")
            received.append({"to": self.path.strip("/"), "title": doc.get("title", "")})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # Apprise posts 16 at a time; the default backlog (5) refuses
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"json://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def run(
    out: Path, use_prefect: bool, say, keep: bool = False, port: int | None = None
) -> LocalServer | None:
    """The whole cycle, narrated through ``say`` (one line at a time), Prefect's own log lines
    in ``out/prefect.log``. With ``keep``, the flow runs go to a Prefect server of the demo's own
    (SQLite in ``out/prefect``) that stays up afterwards: returns it."""
    out.mkdir(parents=True, exist_ok=True)
    db = out / "danvan.db"
    for f in out.glob("danvan.db*"):
        f.unlink()
    os.environ["DANVAN_DATABASE_URL"] = f"sqlite:///{db.absolute()}"
    server = None
    if use_prefect:
        os.environ["DANVAN_USE_PREFECT"] = "1"
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        # the temporary server's 20 s start budget is not enough on a busy machine
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
        if keep:
            server = prefect_local.start(out / "prefect", port or prefect_local.free_port())
            os.environ["PREFECT_API_URL"] = server.url
        _prefect_logs_to(out / "prefect.log")
    get_settings.cache_clear()
    with ExitStack() as stack:
        if use_prefect:  # handlers Prefect creates later write to sys.stderr: the log file too
            # left open: Prefect logs "Stopping temporary server" at exit, after the story ends
            log = (out / "prefect.log").open("a", encoding="utf-8")
            stack.enter_context(redirect_stderr(log))
        inbox, received = stack.enter_context(local_inbox())
        org = prepare_files(out, inbox)
        say(f"Tỉnh mẫu: {len(org['units'])} đơn vị; cơ sở dữ liệu {db}; hộp thư thử {inbox}")
        if server is not None:
            say(
                f"Chạy qua Prefect server của bản chạy thử ({server.ui}); nhật ký Prefect: {out / 'prefect.log'}"
            )
        elif use_prefect:
            say(f"Chạy qua Prefect (máy chủ tạm, ~10 giây); nhật ký Prefect: {out / 'prefect.log'}")
        else:
            say("Chạy trực tiếp (không qua Prefect).")
        play(out, org, received, say)
        by_kind = Counter(r["title"].split("]")[0].strip("[") for r in received)
        say(
            f"Hộp thư thử đã nhận {len(received)} tin: "
            + ", ".join(f"{k}: {n}" for k, n in sorted(by_kind.items()))
        )
    return server


def _prefect_logs_to(path: Path) -> None:
    """Prefect's console lines go to a file: the terminal tells the cycle's story, not the
    engine's (the runs are in the Prefect UI, or in this file)."""
    # lazy: only with Prefect, after run() set its environment (the import sets up its logging)
    import prefect  # noqa: F401

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    names = ["", *list(logging.Logger.manager.loggerDict)]
    for name in names:
        logger = logging.getLogger(name)
        consoles = [
            h
            for h in logger.handlers
            if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
        ]
        for h in consoles:
            logger.removeHandler(h)
        if consoles:
            logger.addHandler(handler)
