"""The process that executes one run's notebook: ``python -P .../clearlib/projects/_worker.py``.

It reads the run's plan (JSON) on stdin, executes the template with Papermill into the run's
``.partial`` folder, and writes what happened to ``.outcome.json`` there. The supervising
process (:func:`clearlib.projects._run.supervise`) started it in a session of its own, waits
for it with an outer time limit, kills it with its kernel if it overruns, and writes the
manifest. If the supervisor disappears, this process stops its kernel and exits.

It is started as a script, not as ``-m clearlib.projects._worker``, so that it imports
Papermill alone and not clearlib (pandas, scikit-learn...): a run's process starts seconds
sooner, and a batch starts one per run.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

OUTCOME = ".outcome.json"


def _kill_children() -> None:
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with distributed
        return
    children = psutil.Process().children(recursive=True)
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.kill()
    psutil.wait_procs(children, timeout=5)


def _watch_parent(parent: int) -> None:
    """Stop the kernel and exit when the supervising process is gone (never an orphan)."""
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            _kill_children()
            os._exit(3)


def _execute(plan: dict[str, Any]) -> dict[str, Any]:
    # jsonschema (under nbformat) imports rfc3987_syntax, if installed, only to check "iri"
    # formats, which no notebook schema uses; it builds a grammar on import, seconds of CPU
    # (python-jsonschema/jsonschema#1392, #1428). Skip it in this short-lived process.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import papermill
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    partial = Path(plan["partial"])
    cwd = plan["cwd"] if Path(plan["cwd"]).is_dir() else str(partial)
    try:
        papermill.execute_notebook(
            plan["template"],
            str(partial / "notebook.ipynb"),
            parameters=plan["parameters"]["effective"],
            kernel_name=plan["kernel_name"],
            execution_timeout=plan["timeout"],
            start_timeout=plan.get("start_timeout", 60),
            progress_bar=False,
            log_output=plan["log_output"],
            cwd=cwd,
            # the run is over when the last cell ends (or times out): stop the kernel at once
            # rather than wait for a busy one to agree (nbclient's default waits seconds)
            shutdown_kernel="immediate",
        )
    except PapermillExecutionError as exc:
        return {
            "status": "failed",
            "reason": "exception",
            "exception": exc.ename,
            "message": str(exc.evalue),
        }
    except CellTimeoutError:
        return {"status": "timed_out", "reason": "cell_timeout", "exception": "CellTimeoutError"}
    except Exception as exc:  # the kernel died, would not start, the template is broken...
        return {
            "status": "failed",
            "reason": "crashed",
            "exception": type(exc).__name__,
            "message": str(exc).strip().splitlines()[0] if str(exc).strip() else "",
        }
    return {"status": "succeeded"}


def main() -> int:
    """Execute the plan given on stdin; exit 0 once the outcome is written."""
    plan = json.loads(sys.stdin.read())
    if plan["log_output"]:  # as `papermill --log-output` shows cells' output as they run
        import logging

        logging.basicConfig(level=logging.INFO, format="%(message)s")
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    outcome = _execute(plan)
    path = Path(plan["partial"]) / OUTCOME
    path.write_text(json.dumps(outcome), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
