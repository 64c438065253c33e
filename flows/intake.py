"""Flow ``submit``: tiếp nhận tự đánh giá — record self-assessment files, each on its own."""

from __future__ import annotations

from datetime import datetime

from danvan.runtime import flow, log
from danvan.tasks.intake import record_submissions


@flow(name="submit", flow_run_name="submit")
def submit(paths: list[str], at: datetime, actor: str = "cli") -> list[dict]:
    """Validate and record every file at ``at``; returns one result per file, in order."""
    results = record_submissions(paths, at, actor)
    accepted = sum(1 for r in results if r["accepted"])
    log(f"{accepted}/{len(results)} files accepted")
    return results
