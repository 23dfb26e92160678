"""JupyterLab's **Validate** button, for learners: the same plain words as ``course validate``.

nbgrader's Validate button (its ``validate_assignment`` server extension) says "Success! Your
notebook passes all the tests" on a lesson, which has no tests, and shows each failing check
as its code and a traceback. The learner-side Jupyter configuration
(``course/learner/jupyter/jupyter_server_config.json``) turns that server extension off and
this one on. It answers the button's two requests, at the same addresses, so nbgrader's
JupyterLab button is unchanged:

- ``POST /assignments/validate``: runs :func:`~clearlib.course.validate_notebook` on the
  notebook (in a separate process, so the server stays responsive) and answers in the shape
  the button reads: each question to fix, under its heading, with its check's whole message;
  for a lesson, that it has nothing to validate;
- ``GET /nbgrader_version``: nbgrader's own version check, unchanged.
"""

from __future__ import annotations

import asyncio
import html
import json
import sys
from pathlib import Path
from typing import Any

from clearlib.course._validate import NotebookValidation

__all__ = ["button_result"]


def button_result(report: NotebookValidation) -> dict[str, Any]:
    """The answer JupyterLab's Validate button shows for a validation report.

    The button shows ``{"success": True, "value": {}}`` as "Success! Your notebook passes all
    the tests", ``{"success": True, "value": {"failed": [...]}}`` as each "failed" item's
    ``source`` (here: the question and what happened) above its ``error`` (HTML: the message
    in full), and ``{"success": False, "value": text}`` as ``text`` under "There was an error
    running the validate command" (here: a lesson, which has nothing to validate).

    Parameters
    ----------
    report : NotebookValidation
        What :func:`~clearlib.course.validate_notebook` found.

    Returns
    -------
    dict
        The JSON the button reads.

    Examples
    --------
    >>> lesson = NotebookValidation(Path("01.01-Notebooks-And-PCN-Data.ipynb"), "lesson")
    >>> print(button_result(lesson)["value"])  # doctest: +ELLIPSIS
    01.01-Notebooks-And-PCN-Data.ipynb: This notebook has no graded questions (it is a lesson); there is nothing to validate.
    To check your work before you hand it in, ...
    """
    if report.kind != "assignment":
        return {"success": False, "value": "\n".join(report.lines())}
    if report.ok:
        return {"success": True, "value": {}}
    failed = []
    for problem in report.problems:
        head, _, rest = problem.partition("\n")
        failed.append({"source": f"✗ {head}", "error": html.escape(rest)})
    for check in report.to_fix:
        message = check.message or (
            "Write your answer in place of YOUR ANSWER HERE (double-click the cell)."
            if check.kind == "written"
            else "Write your code in place of raise NotImplementedError(...), and run it."
        )
        failed.append(
            {"source": f"✗ {check.label}  [{check.grade_id}]", "error": html.escape(message)}
        )
    failed[-1]["error"] += "\n\n<b>" + html.escape(report.summary()) + "</b>"
    for item in failed:  # the button shows it in a <pre>: wrap long messages, never cut them
        item["error"] = f'<div style="white-space:pre-wrap">{item["error"]}</div>'
    return {"success": True, "value": {"failed": failed}}


def _result_for(path: str) -> dict[str, Any]:
    """Validate ``path`` and give the button's answer; expected errors become its message."""
    from clearlib._exceptions import ClearlibError
    from clearlib.course._validate import validate_notebook

    try:
        return button_result(validate_notebook(path))
    except ClearlibError as exc:
        return {"success": False, "value": f"{type(exc).__name__}: {exc}"}


def _handlers() -> list[tuple[str, Any]]:
    from jupyter_server.base.handlers import JupyterHandler
    from nbgrader.server_extensions.validate_assignment.handlers import NbGraderVersionHandler
    from tornado import web

    class ValidateHandler(JupyterHandler):  # type: ignore[misc]
        """``POST /assignments/validate`` with ``path``: the notebook, from the server's root."""

        @web.authenticated
        async def post(self) -> None:
            try:
                path = self.get_argument("path")
            except web.MissingArgumentError:
                path = (self.get_json_body() or {}).get("path", "")
            root = Path(self.settings["root_dir"]).resolve()
            target = (root / path).resolve()
            if not target.is_relative_to(root):
                raise web.HTTPError(403, "Access denied: path outside allowed directory")
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "clearlib.course._lab",
                str(target),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await process.communicate()
            try:
                answer = json.loads(out.decode("utf-8").strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                answer = {
                    "success": False,
                    "value": "Validation stopped unexpectedly:\n"
                    + err.decode("utf-8", "replace")[-4000:],
                }
            self.finish(json.dumps(answer))

    return [
        (r"/assignments/validate", ValidateHandler),
        (r"/nbgrader_version", NbGraderVersionHandler),
    ]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "clearlib.course._lab"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from jupyter_server.utils import url_path_join

    webapp = serverapp.web_app
    base_url = webapp.settings["base_url"]
    webapp.settings["root_dir"] = serverapp.root_dir
    webapp.add_handlers(
        ".*$", [(url_path_join(base_url, pattern), handler) for pattern, handler in _handlers()]
    )
    serverapp.log.info("CLEAR Workbooks: the Validate button says what to fix in plain words")


if __name__ == "__main__":  # the server runs each validation in its own process
    print(json.dumps(_result_for(sys.argv[1])))
