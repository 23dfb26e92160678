"""``clearlib course ...``: the faculty's and learners' commands for the nbgrader course.

Mounted by the main command as ``app.add_typer(course_app, name="course")``. Each command calls
one public function of :mod:`clearlib.course` and prints its result; expected problems print
``ErrorName: message`` in red and exit with status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clearlib._console import expected_errors, stdout

__all__ = ["course_app"]

course_app = typer.Typer(
    help="Check, grade, give feedback on and export the nbgrader course; check a learner's setup.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

CourseDir = Annotated[
    Path | None,
    typer.Option(
        "--course-dir",
        help="The course folder (default: course/ of the repository, or $CLEAR_COURSE_DIR).",
    ),
]


@course_app.command("check")
def check(
    assignments: Annotated[
        list[str] | None,
        typer.Argument(metavar="[ASSIGNMENT]...", help="Default: every assignment in source/."),
    ] = None,
    time_budget: Annotated[
        float,
        typer.Option(
            "--time-budget", min=1, help="Seconds the model solution may take to autograde."
        ),
    ] = 60,
    update_lock: Annotated[
        bool,
        typer.Option(
            "--update-lock",
            help="Write each assignment's grade ids to grade_ids.txt instead of comparing.",
        ),
    ] = False,
    static: Annotated[
        bool,
        typer.Option(
            "--static", help="Only the quick checks of the notebook (no grading): while authoring."
        ),
    ] = False,
    course_dir: CourseDir = None,
) -> None:
    """Prove assignments before release: full marks for the model, none for the blank.

    For each assignment: grade ids unique, well named and unchanged since grade_ids.txt;
    every graded cell worth points and tagged with learning objectives; every test opens with
    a docstring; a written answer graded by hand; every objective of the week assessed. Then,
    in a temporary copy of the course, nbgrader makes the learner version and autogrades the
    model solution (every point, within the time budget) and the blank version (no point, no
    crash). Every problem is listed; exits 1 if there is any.

    Examples:

      clearlib course check

      clearlib course check 01-getting-started --update-lock
    """
    from clearlib.course import check_course

    console = stdout()
    with expected_errors():
        reports = check_course(
            assignments or None,
            course_dir=course_dir,
            time_budget_s=time_budget,
            update_lock=update_lock,
            execute=not static,
        )
    if not reports:
        console.print("No assignments in source/ yet: nothing to check.")
        return
    for report in reports:
        report.render(console)
    bad = sum(not r.ok for r in reports)
    if bad:
        console.print(f"[red]{bad} of {len(reports)} assignment(s) need fixing.[/red]")
        raise typer.Exit(1)
    console.print(f"[green]All {len(reports)} assignment(s) ready.[/green]")


@course_app.command("mistakes")
def mistakes(
    assignments: Annotated[
        list[str] | None,
        typer.Argument(metavar="[ASSIGNMENT]...", help="Default: every assignment in source/."),
    ] = None,
    notebook: Annotated[
        Path | None,
        typer.Option(
            "--notebook",
            help="Run against another version of the source notebook (one assignment only).",
        ),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="List every mistake, not only the unexpected ones.")
    ] = False,
    course_dir: CourseDir = None,
) -> None:
    """Run the wrong-answer corpus: is each usual mistake caught where it should be?

    For each assignment, every mistake in course/mistakes/<assignment>.toml replaces the
    model's answer and the notebook runs on as a learner's would. Prints how many are caught
    by a visible check, only at grading, or not at all, and each one that is not caught as the
    corpus expects (with the message shown). Exits 1 if any is unexpected, the model fails a
    check, or an autograded question has no mistake in the corpus.

    Examples:

      clearlib course mistakes 02-working-with-tables --all
    """
    from rich.markup import escape

    from clearlib.course import list_assignments
    from clearlib.course._mistakes import run_mistakes

    console = stdout()
    names = assignments or list_assignments(course_dir)
    if notebook is not None and len(names) != 1:
        console.print("[red]ConfigError:[/red] --notebook needs exactly one assignment.")
        raise typer.Exit(1)
    bad = 0
    with expected_errors():
        for name in names:
            with console.status(f"Running the usual mistakes of {name}..."):
                report = run_mistakes(name, course=course_dir, notebook=notebook)
            mark = "[green]ok[/green]" if report.ok else "[red]needs work[/red]"
            console.print(f"{escape(report.summary())}: {mark}")
            shown = report.outcomes if show_all else report.unexpected
            for outcome in shown:
                console.print(f"  - {escape(outcome.describe())}", soft_wrap=True)
            for failure in report.model_failures:
                console.print(f"  - [red]the model answer fails[/red] {escape(failure)}")
            for question in report.uncovered:
                console.print(f"  - [red]no mistake in the corpus for[/red] {question}")
            bad += not report.ok
    if bad:
        raise typer.Exit(1)


@course_app.command("grade")
def grade(
    assignment: Annotated[str, typer.Argument(metavar="ASSIGNMENT")],
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Submissions graded at once.")
    ] = 2,
    learner: Annotated[
        list[str] | None,
        typer.Option("--learner", help="Grade only this learner (repeat for several)."),
    ] = None,
    cell_timeout: Annotated[
        int, typer.Option("--cell-timeout", min=1, help="Seconds each cell may run.")
    ] = 30,
    memory_mb: Annotated[
        int, typer.Option("--memory-mb", min=64, help="Memory each submission may use (MB).")
    ] = 1536,
    output_limit_kb: Annotated[
        int,
        typer.Option("--output-limit-kb", min=1, help="Printed output kept per cell (KB)."),
    ] = 512,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Grade every submission again, not only new or changed ones. Hand grades of "
            "unchanged written answers are kept either way.",
        ),
    ] = False,
    legacy_grader: Annotated[
        bool,
        typer.Option(
            "--legacy-grader",
            help="Run the tests in the learner's kernel, as plain nbgrader does (for "
            "comparison; a learner's code can then change how the tests run). Default: the "
            "tests run in a separate, trusted process on the answers as data.",
        ),
    ] = False,
    course_dir: CourseDir = None,
) -> None:
    """Autograde the new and changed submissions of an assignment, in parallel and sandboxed.

    Each submission's kernel runs in its own sandbox with a time limit per cell and a memory
    limit (see course/README.md). A submission unchanged since it was last graded is left
    alone (--force grades it again). Written answers then wait for you in the formgrader.

    Examples:

      clearlib course grade 01-getting-started --jobs 2

      clearlib course grade 01-getting-started --learner ab12 --cell-timeout 60
    """
    from clearlib.course._grade import grade_assignment

    console = stdout()
    with expected_errors():
        report = grade_assignment(
            assignment,
            course_dir=course_dir,
            jobs=jobs,
            learners=learner or None,
            cell_timeout=cell_timeout,
            memory_mb=memory_mb,
            output_limit_kb=output_limit_kb,
            force=force,
            trusted=not legacy_grader,
        )
    console.print(report.summary(), soft_wrap=True, markup=False, highlight=False)


@course_app.command("feedback")
def feedback(
    assignment: Annotated[str, typer.Argument(metavar="ASSIGNMENT")],
    learner: Annotated[
        list[str] | None,
        typer.Option("--learner", help="Only this learner (repeat for several)."),
    ] = None,
    course_dir: CourseDir = None,
) -> None:
    """Write each learner's feedback as HTML, never showing hidden tests.

    Each question shows its points, a plain-language message from the failed check and its
    learning objective. Files go to feedback/<learner>/<assignment>/; release them with
    nbgrader release_feedback (or send them through your LMS).

    Examples:

      clearlib course feedback 01-getting-started
    """
    from clearlib.course import generate_feedback

    with expected_errors():
        report = generate_feedback(assignment, course_dir=course_dir, learners=learner or None)
    stdout().print(report.summary(), soft_wrap=True, markup=False, highlight=False)


def _column_ids(pairs: list[str] | None) -> dict[str, str]:
    from clearlib import ConfigError

    ids = {}
    for pair in pairs or []:
        name, sep, cid = pair.partition("=")
        if not sep or not name.strip() or not cid.strip():
            raise ConfigError(
                f"--blackboard-column takes ASSIGNMENT=COLUMN_ID (like 01-getting-started=12345); "
                f"got {pair!r}."
            )
        ids[name.strip()] = cid.strip()
    return ids


@course_app.command("export")
def export(
    assignments: Annotated[
        list[str] | None,
        typer.Argument(metavar="[ASSIGNMENT]...", help="The assignments to export."),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Export every assignment with grades.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write (default: course/exports).")
    ] = None,
    blackboard_column: Annotated[
        list[str] | None,
        typer.Option(
            "--blackboard-column",
            metavar="ASSIGNMENT=ID",
            help="The Grade Center column id to update (from a downloaded Grade Center file, "
            "the number after '|'). Without it Blackboard adds a new column.",
        ),
    ] = None,
    complete_only: Annotated[
        bool,
        typer.Option(
            "--complete-only",
            help="While answers wait for a hand grade: export anyway, leaving those learners "
            "blank in the Blackboard file.",
        ),
    ] = False,
    include_pending: Annotated[
        bool,
        typer.Option(
            "--include-pending",
            help="While answers wait for a hand grade: export their points so far (not final).",
        ),
    ] = False,
    blackboard_column_id: Annotated[
        str | None,
        typer.Option(
            "--blackboard-column-id",
            metavar="ID",
            help="The Grade Center column id of the one assignment exported (the number after "
            "'|' in a downloaded Grade Center file). Without one Blackboard adds a new text "
            "column worth 0 points.",
        ),
    ] = None,
    tab: Annotated[
        bool,
        typer.Option(
            "--tab",
            help="Write the Blackboard file tab-delimited (blackboard-grade-center.xls, as "
            "Blackboard's help recommends) instead of quoted CSV.",
        ),
    ] = False,
    course_dir: CourseDir = None,
) -> None:
    """Export grades (CSV, Blackboard Grade Center upload) and objective mastery (CSV, chart).

    Stops, naming who and what, while any answer waits for a hand grade, unless you choose
    --complete-only or --include-pending. Prints the points possible of each assignment: give
    its Blackboard column that many points.

    Examples:

      clearlib course export 01-getting-started

      clearlib course export --all --blackboard-column 01-getting-started=123456

      clearlib course export 02-working-with-tables --blackboard-column-id 123456 --tab
    """
    from clearlib import ConfigError
    from clearlib.course import export_grades

    with expected_errors():
        if all_ == bool(assignments):
            raise ConfigError("Name the assignments to export, or give --all (not both).")
        if complete_only and include_pending:
            raise ConfigError("Give --complete-only or --include-pending, not both.")
        column_ids = _column_ids(blackboard_column)
        if blackboard_column_id is not None:
            if all_ or len(assignments or []) != 1 or not blackboard_column_id.strip():
                raise ConfigError(
                    "--blackboard-column-id ID names the column of one assignment: export "
                    "exactly one (clearlib course export 02-working-with-tables "
                    "--blackboard-column-id 123456), or give --blackboard-column "
                    "ASSIGNMENT=ID for each."
                )
            column_ids[assignments[0]] = blackboard_column_id.strip()
        result = export_grades(
            None if all_ else assignments,
            course_dir=course_dir,
            out=out,
            column_ids=column_ids,
            pending="complete_only" if complete_only else "include" if include_pending else "stop",
            delimiter="\t" if tab else ",",
        )
    console = stdout()
    console.print(result.summary(), soft_wrap=True, markup=False, highlight=False)
    if result.mastery is not None and len(result.mastery):
        worst = result.mastery.iloc[0]
        console.print(
            f"Least mastered: {worst['objective']} ({worst['text']}): "
            f"{worst['share_mastered']:.0%} of {worst['learners_attempted']} learners.",
            soft_wrap=True,
        )


@course_app.command("collect-lms")
def collect_lms(
    zip_path: Annotated[
        Path,
        typer.Argument(metavar="ZIP", help="Blackboard's Assignment File Download (a .zip)."),
    ],
    assignment: Annotated[str, typer.Argument(metavar="ASSIGNMENT")],
    timezone: Annotated[
        str,
        typer.Option(
            "--timezone", help="The time zone of Blackboard's attempt times (its server's)."
        ),
    ] = "Europe/London",
    accept_unknown: Annotated[
        bool,
        typer.Option(
            "--accept-unknown",
            help="Also place the work of usernames that are not learners in the gradebook.",
        ),
    ] = False,
    course_dir: CourseDir = None,
) -> None:
    """Collect an assignment from Blackboard's download into submitted/, with attempt times.

    Each learner's latest attempt goes to submitted/<username>/<assignment>/ (a renamed
    notebook under the assignment's name), its time becomes the submission time (so late
    penalties apply), and every file not placed is listed with the reason: an unknown
    username, not a notebook, a second notebook, an older attempt. Exits 0 when some files
    were not placed (check the list); 1 when the zip cannot be read.

    Examples:

      clearlib course collect-lms gradebook_CLEAR_Week01.zip 01-getting-started
    """
    from rich.markup import escape
    from rich.table import Table

    from clearlib.course._lms import collect_lms as collect

    console = stdout()
    with expected_errors():
        report = collect(
            zip_path,
            assignment,
            course_dir=course_dir,
            timezone=timezone,
            accept_unknown=accept_unknown,
        )
    head, *_ = report.summary().splitlines()
    console.print(escape(head), soft_wrap=True)
    if report.placed:
        table = Table("Learner", "Notebook", "Attempt (Blackboard time)", "Late", "Note")
        for p in report.placed:
            table.add_row(
                p.learner,
                p.notebook,
                f"{p.attempt:%Y-%m-%d %H:%M:%S}",
                f"[red]{p.lateness}[/red]" if p.late else "",
                "; ".join(
                    [escape(f"renamed from {p.renamed_from}")] * bool(p.renamed_from)
                    + ["not in the gradebook"] * p.unknown
                ),
            )
        console.print(table)
    details = len(report.unplaced) - len(report.problems)
    if details:
        console.print(f"Read {details} attempt-details files (Blackboard's receipts).")
    if report.problems:
        console.print(
            f"[yellow]Warning: {len(report.problems)} file(s) not placed:[/yellow]", soft_wrap=True
        )
        for u in report.problems:
            console.print(f"  - {escape(u.file)}: {escape(u.reason)}", soft_wrap=True)


@course_app.command("package-feedback")
def package_feedback(
    assignment: Annotated[str, typer.Argument(metavar="ASSIGNMENT")],
    out: Annotated[Path, typer.Argument(metavar="OUT", help="The folder to write.")],
    course_dir: CourseDir = None,
) -> None:
    """Package each learner's feedback as one file named to return it through Blackboard.

    Copies feedback/<learner>/<assignment>/ (from clearlib course feedback) to
    OUT/<username>_<assignment>_feedback.html, one per learner, and zips them all.

    Examples:

      clearlib course package-feedback 01-getting-started returns/01
    """
    from clearlib.course._lms import package_feedback as package

    with expected_errors():
        result = package(assignment, out, course_dir=course_dir)
    stdout().print(result.summary(), soft_wrap=True, markup=False, highlight=False)


@course_app.command("similarity")
def similarity(
    assignment: Annotated[str, typer.Argument(metavar="ASSIGNMENT")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the CSV and HTML (default: exports/similarity)."),
    ] = None,
    course_dir: CourseDir = None,
) -> None:
    """Rank pairs of learners whose work is unusually alike, for you to look at.

    Combines the same wrong answers (a failed check's message carries the value), the same
    unusual code (normalised and fingerprinted, starter code and model answers discounted) and
    alike written answers, each discounted by how common it is in the cohort. Writes a CSV and
    a page linking both notebooks with the reasons. It never changes a mark. Run it after
    grading, so the checks' messages are in the notebooks.

    Examples:

      clearlib course similarity 02-working-with-tables
    """
    from rich.markup import escape

    from clearlib.course._similarity import similarity_report

    console = stdout()
    with expected_errors():
        report = similarity_report(assignment, course_dir=course_dir, out_dir=out)
    high = sum(p.level == "high" for p in report.pairs)
    console.print(
        f"{report.learners} learners compared; {len(report.pairs)} pair(s) flagged, {high} high."
    )
    for rank, pair in enumerate(report.pairs[:10], start=1):
        console.print(
            f"{rank}. {' and '.join(pair.learners)} ({pair.level}): "
            f"{escape('; '.join(pair.reasons))}",
            soft_wrap=True,
        )
    where = out or "exports/similarity"
    console.print(
        f"The full list: {where}/{assignment}.csv and .html. Alike work is not proof of "
        "copying: look at both notebooks before you act.",
        soft_wrap=True,
    )


@course_app.command("publish-learner")
def publish_learner(
    out: Annotated[Path, typer.Argument(metavar="OUT", help="The learner edition's folder.")],
    through_week: Annotated[
        int | None,
        typer.Option(
            "--through-week", min=1, help="Release the assignments up to this week (default all)."
        ),
    ] = None,
    commit: Annotated[
        bool,
        typer.Option(
            "--commit", help="Commit the build in OUT (a clone of the learners' repository)."
        ),
    ] = False,
    course_dir: CourseDir = None,
) -> None:
    """Build the learner edition: lessons, released assignments, clearlib; no answers.

    OUT gets the lessons, each assignment as nbgrader releases it, clearlib and what makes the
    synthetic data, the learner-side Jupyter configuration (faculty tools off), the learners'
    README, Makefile and Binder files. Every file is then searched for the source's model
    answers and hidden tests; any found stops the build. OUT's .git and my-work/ are kept.

    Examples:

      clearlib course publish-learner ../clear-learners --through-week 3 --commit
    """
    from clearlib.course._learner import publish_learner_edition

    console = stdout()
    with expected_errors(), console.status("Releasing the assignments and checking for answers..."):
        edition = publish_learner_edition(
            out, course_dir=course_dir, through_week=through_week, commit=commit
        )
    console.print(edition.summary(), soft_wrap=True)
    if commit:
        console.print(f"Committed; push it: git -C {out} push")


@course_app.command("setup-check")
def setup_check(
    folder: Annotated[
        Path | None,
        typer.Option("--folder", help="Where you save your work (default: this folder)."),
    ] = None,
) -> None:
    """Check that your computer is ready for the course, and say what to do if not.

    Checks Python, the packages the lessons use, the synthetic dataset, that you can save in
    your folder, JupyterLab, the notebook kernel and nbgrader validate. Exits 1 if anything
    needs fixing.

    Examples:

      clearlib course setup-check
    """
    from clearlib.course import check_setup, render_checks

    checks = check_setup(folder=folder)
    render_checks(checks, stdout())
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


@course_app.command("validate")
def validate(
    notebook: Annotated[
        Path, typer.Argument(metavar="NOTEBOOK", help="Your assignment notebook (.ipynb).")
    ],
    cell_timeout: Annotated[
        int,
        typer.Option("--cell-timeout", min=1, help="Seconds each cell may run before it stops."),
    ] = 60,
) -> None:
    """Check your assignment before you submit it, and say in plain words what to fix.

    Runs the notebook as saved (save it first) from a fresh start, as your tutor's grading
    does, then lists each question: passed, not answered yet, or the check's whole message.
    Exits 0 when every visible check passes (and for a lesson, which has nothing to check),
    1 when something needs fixing. In a notebook cell:
    from clearlib.course import validate_notebook; validate_notebook("NOTEBOOK.ipynb").

    Examples:

      clearlib course validate 02-working-with-tables.ipynb
    """
    from clearlib._console import stderr
    from clearlib.course._validate import validate_notebook

    with expected_errors(), stderr().status(f"Running every cell of {notebook.name}..."):
        report = validate_notebook(notebook, cell_timeout=cell_timeout)
    report.render(stdout())
    raise typer.Exit(report.exit_code)


@course_app.command("submit")
def submit(
    notebook: Annotated[
        Path, typer.Argument(metavar="NOTEBOOK", help="Your assignment notebook (.ipynb).")
    ],
    exchange: Annotated[
        bool,
        typer.Option(
            "--exchange", help="On a hub: hand in with nbgrader submit instead of a copy."
        ),
    ] = False,
    course: Annotated[
        str | None, typer.Option("--course", help="The course id for nbgrader submit (hub).")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Where the copy to upload goes (default to-hand-in).")
    ] = Path("to-hand-in"),
    cell_timeout: Annotated[
        int,
        typer.Option("--cell-timeout", min=1, help="Seconds each cell may run before it stops."),
    ] = 60,
) -> None:
    """Get your assignment ready to hand in, saying first what is blank or failing.

    Validates the notebook as saved (as clearlib course validate does), warns in plain words
    about blank answers and failing checks, and then hands in anyway: a copy under the
    assignment's own name in to-hand-in/, to upload to Blackboard, or (--exchange, on a hub)
    nbgrader submit. Exits 0 whenever the hand-in was made.

    Examples:

      clearlib course submit my-work/01-getting-started.ipynb
    """
    from clearlib._console import stderr
    from clearlib.course._submit import submit_notebook

    with expected_errors(), stderr().status(f"Checking {notebook.name} before you hand it in..."):
        done = submit_notebook(
            notebook, out=out, exchange=exchange, course=course, cell_timeout=cell_timeout
        )
    console = stdout()
    if done.validation is not None and done.validation.kind == "assignment":
        done.validation.render(console)
        console.print()
    done.render(console)
