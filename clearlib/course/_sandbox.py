"""Run learners' code in a bubblewrap sandbox while nbgrader grades it.

nbgrader executes each submission with its ``Execute`` preprocessor (an nbclient
``NotebookClient``): one Jupyter kernel per notebook, running whatever the learner wrote, with
the grader's rights. Here that kernel is started inside Debian's ``bwrap`` (bubblewrap), in a
file system built from nothing, so the learner's code sees only:

- the operating system (``/usr``, ``/etc``, ``/sys`` and the ``/bin``, ``/lib`` links; but not
  Jupyter's system configuration, ``/etc/jupyter``, where a course's settings may live), the
  Python environment (its prefixes and the folders on a fresh interpreter's ``sys.path``), the
  clearlib **package** folder, what clearlib's wheel ships beside it (the synthetic data specs,
  the data dictionary, templates, mappings and code lists) and the generated datasets, all
  **read-only**;
- its own writable folder (a copy of the files submitted with the notebook; it is the working
  directory and ``$HOME``) and a private ``/tmp``, both thrown away afterwards.

Nothing else exists for it: not ``/home``, ``/root``, ``/srv`` (the nbgrader exchange),
``/opt``, ``/var``, ``/mnt`` or any other folder of the machine; not the course folder
(``source/``, ``release/``, ``submitted/``, ``autograded/``, other learners' work,
``gradebook.db``), wherever it is, nor a gradebook or exchange kept elsewhere (``hidden``), which
stay empty even inside a shown folder; and, when clearlib is installed in editable mode, not the
checkout around the package (its course sources with model answers and hidden tests, ``.git``,
``tests/``, the README...: see :func:`project_root`). When clearlib is installed in
site-packages, there is no checkout to hide. The kernel also gets none of the grader's
environment variables (it starts with a short, fixed environment), no network (a private
network namespace with only loopback), no other processes (a private PID namespace with a fresh
``/proc``), no capabilities (it runs as ``nobody`` with every capability dropped, so it cannot
unmount anything), and it dies with the grader. :meth:`SandboxPolicy.shows` says whether a path
is visible.

Limits: the resident memory of the kernel and its children is watched (every 0.2 s) and the
kernel is stopped when it passes ``memory_mb``; its address space is also capped at
``2 * memory_mb + 1024`` MiB (``RLIMIT_AS``) so that a single huge allocation fails at once with
``MemoryError`` (pandas and Arrow reserve far more address space than they use, so the cap
cannot be ``memory_mb`` itself). Files it writes are capped at ``file_size_mb``, each cell may
run for ``timeout`` seconds, and each cell's output is cut at ``output_limit_kb``.

:class:`SandboxedExecute` is nbgrader's ``Execute`` with that kernel, and with three more
behaviours that keep one submission from spoiling its own grading: a cell that kills the kernel
(``os._exit``, a crash), that runs out of memory, or that ignores the interrupt after its
time-out is scored as failed, then a new kernel is started, the cells that ran before are run
again (without keeping their output) and grading goes on with the next cell. Each such event is
recorded as an :class:`Incident`.

What the sandbox alone does not do: keep the tests away from the learner's code. With plain
``SandboxedExecute`` the test cells run in the learner's kernel, as in every nbgrader set-up,
so code that runs before them can change what they see. ``clearlib course grade`` therefore
uses :class:`~clearlib.course._trusted_execute.TrustedExecute`, this class's subclass, which
runs no test cell in the kernel: the kernel exports each test's declared answers as data, and
the tests run in a trusted process (:mod:`clearlib.course._trusted`). ``--legacy-grader``
keeps this class's behaviour, for comparison.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import tomllib
from dataclasses import dataclass, field

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Any as AnyTrait
from traitlets import Bool, Integer, Unicode

from clearlib._exceptions import ConfigError

__all__ = [
    "Incident",
    "SandboxKernelManager",
    "SandboxPolicy",
    "SandboxedExecute",
    "check_sandbox",
    "find_bwrap",
    "project_root",
]

INSTALL_HINT = (
    "install it with `apt-get install bubblewrap` (Debian/Ubuntu; the Makefile does this when "
    "run as root)"
)

#: The operating system, shown read-only (those that exist; a symlink such as ``/bin -> usr/bin``
#: is made again as the same symlink). Nothing else of ``/`` is shown unless revealed.
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys")
#: Folders every sandbox replaces with its own empty, private, writable copy.
MASKED_BY_TMPFS = ("/tmp", "/dev/shm")
#: Folders that may hold other people's work, secrets or a course's settings (Jupyter's system
#: configuration may hold ``nbgrader_config.py``): empty whenever they exist, even when a shown
#: folder holds them.
DEFAULT_HIDDEN = (
    "/home",
    "/root",
    "/srv",
    "/mnt",
    "/media",
    "/run",
    "/var/tmp",
    "/var/mail",
    "/etc/jupyter",
    "/usr/etc/jupyter",
    "/usr/local/etc/jupyter",
)
#: What a wheel of clearlib ships besides the package (pyproject's ``force-include``), relative
#: to the checkout; read from ``pyproject.toml`` when it is there, this list otherwise.
SHIPPED_WITH_PACKAGE = (
    "datasets/synthetic/specs",
    "datasets/synthetic/scenarios",
    "datasets/synthetic/datapackage.json",
    "templates",
    "datasets/mappings",
    "datasets/codelists",
)
#: Files or folders whose presence marks the top of a project checkout.
PROJECT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")

#: Variables copied from the grader's environment into the kernel's (when set).
PASSED_ENV = ("LANG", "LC_ALL", "TZ", "CLEAR_DATA_DIR", "NBGRADER_EXECUTION")

#: The user accounts the kernel sees instead of the machine's (which may name every learner).
ACCOUNTS = {
    "/etc/passwd": (
        "root:x:0:0:root:/root:/usr/sbin/nologin\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    ),
    "/etc/group": "root:x:0:\nnogroup:x:65534:\n",
}

#: What a learner's kernel is told about its environment.
FIXED_ENV = {
    "LANG": "C.UTF-8",
    "MPLBACKEND": "Agg",
    # fewer threads and malloc arenas: less address space reserved, so RLIMIT_AS means memory
    "MALLOC_ARENA_MAX": "2",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "TMPDIR": "/tmp",
}

#: Sets resource limits, then becomes the kernel. Runs inside the sandbox as `python -I -S -c`.
_LIMITS = (
    "import os, resource, sys\n"
    "mem, fsize = int(sys.argv[1]), int(sys.argv[2])\n"
    "resource.setrlimit(resource.RLIMIT_AS, (mem, mem))\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))\n"
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "os.execvp(sys.argv[3], sys.argv[3:])\n"
)


def find_bwrap() -> str:
    """The path of the ``bwrap`` program, or a :class:`~clearlib.ConfigError` saying how to get it.

    Examples
    --------
    >>> from clearlib.course._sandbox import find_bwrap
    >>> find_bwrap()  # doctest: +SKIP
    '/usr/bin/bwrap'
    """
    path = shutil.which("bwrap") or (
        "/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK) else None
    )
    if path is None:
        raise ConfigError(
            "Grading runs learners' code in a bubblewrap sandbox, but `bwrap` was not found on "
            f"PATH or at /usr/bin/bwrap: {INSTALL_HINT}."
        )
    return path


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _depth(path: str) -> int:
    return len([part for part in path.split(os.sep) if part])


def _prefixes() -> list[str]:
    """Where Python is installed: the environment's prefixes and the base interpreter's."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    return sorted(paths | {os.path.realpath(p) for p in paths})


@functools.lru_cache(maxsize=8)
def _kernel_sys_path(executable: str) -> tuple[str, ...]:
    """The prefixes and ``sys.path`` of a fresh ``executable`` as the kernel starts it: no
    ``PYTHONPATH``, no user site (the kernel's home is its own), no script folder; ``.pth`` files
    in site-packages apply. Empty if ``executable`` cannot tell."""
    code = (
        "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix, "
        "sys.base_exec_prefix, *sys.path[1:]]))"
    )
    with contextlib.suppress(OSError, ValueError, subprocess.TimeoutExpired):
        done = subprocess.run(
            [executable, "-E", "-s", "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            env={"LANG": "C.UTF-8", "PATH": os.defpath},
            cwd=os.sep,
        )
        if done.returncode == 0:
            return tuple(p for p in json.loads(done.stdout) if isinstance(p, str) and p)
    return ()


def _python_paths(executable: str | None = None) -> list[str]:
    """Folders the kernel needs to start ``executable`` (this Python by default) and import
    libraries: its prefixes, its own folder and its ``sys.path``."""
    executable = executable or sys.executable
    paths = {os.path.dirname(os.path.realpath(executable))}
    found = _kernel_sys_path(executable)
    if executable == sys.executable:
        paths.update(_prefixes())
        # if this Python cannot tell: its own path, less what its start-up added outside it
        found = found or tuple(p for p in sys.path if p and any(_inside(p, x) for x in _prefixes()))
    paths.update(p for p in found if os.path.exists(p))
    return sorted(paths | {os.path.realpath(p) for p in paths})


def project_root() -> str | None:
    """The checkout that holds clearlib, or None when clearlib is installed with Python.

    clearlib installed in editable mode lives in its repository, beside the course (model
    answers, hidden tests), the tests and the history. The root is the nearest folder above the
    package holding ``.git``, else ``pyproject.toml``, ``setup.py`` or ``setup.cfg``.

    Examples
    --------
    >>> from clearlib.course._sandbox import project_root
    >>> project_root()  # doctest: +SKIP
    '/work/main'
    """
    import clearlib

    holder = os.path.dirname(os.path.dirname(os.path.realpath(clearlib.__file__)))
    if any(_inside(holder, prefix) for prefix in _prefixes()):
        return None  # site-packages of the environment: nothing of a checkout around it
    folders = [holder]
    while os.path.dirname(folders[-1]) != folders[-1]:
        folders.append(os.path.dirname(folders[-1]))
    for marker in PROJECT_MARKERS:  # .git first: the repository, with its history
        for folder in folders[:-1]:  # never "/"
            if os.path.lexists(os.path.join(folder, marker)):
                return folder
    return None


def _shipped_paths(root: str) -> list[str]:
    """What the wheel ships from the checkout ``root`` besides the package (existing ones)."""
    relative: tuple[str, ...] = SHIPPED_WITH_PACKAGE
    with contextlib.suppress(OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
        with open(os.path.join(root, "pyproject.toml"), "rb") as f:
            wheel = tomllib.load(f)["tool"]["hatch"]["build"]["targets"]["wheel"]
        relative = tuple(wheel["force-include"])
    paths = [os.path.realpath(os.path.join(root, rel)) for rel in relative]
    return [p for p in paths if _inside(p, root) and os.path.exists(p)]


def _package_paths(root: str | None) -> list[str]:
    """The clearlib package, its data and the generated datasets the kernel reads."""
    import clearlib
    from clearlib import _config

    paths = [os.path.dirname(os.path.realpath(clearlib.__file__))]
    paths += [str(_config.synthetic_dir()), str(_config.data_dir())]
    if root is not None:
        paths += _shipped_paths(root)
    return [p for p in dict.fromkeys(paths) if os.path.exists(p)]


@dataclass(frozen=True)
class SandboxPolicy:
    """What a learner's kernel may see and use. Build one with :meth:`for_course`.

    The kernel's file system is built from nothing: ``system`` and ``revealed`` are shown
    read-only, ``hidden`` folders are made empty (and files empty) wherever they are, and any
    other path does not exist. Where these overlap the deeper path wins (a package revealed
    inside a hidden checkout is shown); at the same path, hidden wins.

    Parameters
    ----------
    hidden : tuple of str
        Absolute paths the kernel must not see: folders become empty, files become empty.
    revealed : tuple of str
        Absolute paths shown read-only (Python, clearlib, the data).
    memory_mb : int
        Resident-memory limit of the kernel and its children, in MiB.
    file_size_mb : int
        Largest file the kernel may write, in MiB.
    bwrap : str
        The ``bwrap`` program.
    env : tuple of (str, str)
        More environment variables for the kernel.
    system : tuple of str
        The operating system's folders, shown read-only (those that exist).
    """

    hidden: tuple[str, ...]
    revealed: tuple[str, ...] = ()
    memory_mb: int = 1024
    file_size_mb: int = 256
    bwrap: str = "/usr/bin/bwrap"
    env: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    system: tuple[str, ...] = SYSTEM_PATHS

    @classmethod
    def for_course(
        cls,
        course_dir: str | os.PathLike,
        *,
        hidden: tuple[str, ...] | list[str] = (),
        memory_mb: int = 1024,
        file_size_mb: int = 256,
    ) -> SandboxPolicy:
        """The policy for grading in ``course_dir``: the OS, Python, clearlib and its data only.

        Hidden besides everything not revealed: the course, the checkout that holds clearlib
        (when it is installed in editable mode), the usual places of other people's work, and
        ``hidden``, wherever a revealed folder would show them.

        Parameters
        ----------
        course_dir : path
            The nbgrader course root (hidden).
        hidden : sequence of str
            More paths to hide: the gradebook when it lives elsewhere, the exchange folder.
        memory_mb, file_size_mb : int
            The limits (MiB).

        Examples
        --------
        >>> from clearlib.course._sandbox import SandboxPolicy
        >>> policy = SandboxPolicy.for_course("/srv/course", memory_mb=512)  # doctest: +SKIP
        >>> "/srv/course" in policy.hidden  # doctest: +SKIP
        True
        """
        if memory_mb < 256:
            raise ConfigError(
                f"memory_mb must be at least 256 (Python, pandas and the kernel need about 200 "
                f"MiB of address space); got {memory_mb}."
            )
        root = project_root()
        paths = [os.path.realpath(course_dir), *DEFAULT_HIDDEN, os.path.expanduser("~")]
        paths += [root] if root is not None else []
        paths += [os.path.realpath(p) for p in hidden]
        keep = [p for p in dict.fromkeys(paths) if p not in ("/", "") and os.path.lexists(p)]
        policy = cls(
            hidden=tuple(keep),
            memory_mb=memory_mb,
            file_size_mb=file_size_mb,
            bwrap=find_bwrap(),
        )
        # only what a shallower shown folder does not already show
        shown: list[str] = []
        for path in sorted(dict.fromkeys(_python_paths() + _package_paths(root)), key=_depth):
            if path not in keep and not policy._with(shown).shows(path):
                shown.append(path)
        return policy._with(shown)

    def _with(self, revealed: list[str]) -> SandboxPolicy:
        return SandboxPolicy(
            hidden=self.hidden,
            revealed=tuple(revealed),
            memory_mb=self.memory_mb,
            file_size_mb=self.file_size_mb,
            bwrap=self.bwrap,
            env=self.env,
            system=self.system,
        )

    @property
    def address_space_mb(self) -> int:
        """The hard address-space cap (RLIMIT_AS): ``2 * memory_mb + 1024`` MiB.

        Memory is limited on what the kernel really uses (its resident memory, watched by
        :class:`SandboxKernelManager`); pandas and Arrow reserve far more address space than
        they touch, so the address-space cap only stops runaway allocations at once.
        """
        return 2 * self.memory_mb + 1024

    def _layers(self) -> list[tuple[str, str]]:
        """``(kind, path)`` mounts, shallow first; at the same path: system, tmpfs, show, hide."""
        rank = {"system": 0, "tmpfs": 1, "show": 2, "hide": 3}
        layers = [("system", p) for p in self.system if os.path.lexists(p)]
        layers += [("tmpfs", p) for p in MASKED_BY_TMPFS]
        layers += [("show", p) for p in self.revealed]
        layers += [("hide", p) for p in self.hidden]
        return sorted(dict.fromkeys(layers), key=lambda kp: (_depth(kp[1]), rank[kp[0]]))

    def shows(self, path: str | os.PathLike) -> bool:
        """Whether the kernel sees the file or folder at absolute ``path`` as it is.

        Examples
        --------
        >>> from clearlib.course._sandbox import SandboxPolicy
        >>> policy = SandboxPolicy(hidden=("/usr/local",), revealed=("/opt/python",))
        >>> [policy.shows(p) for p in ("/usr/lib", "/usr/local/x", "/opt/python/lib", "/opt")]
        [True, False, True, False]
        """
        path = os.path.normpath(os.fspath(path))
        cover = [kind for kind, where in self._layers() if _inside(path, where)]
        return bool(cover) and cover[-1] in ("system", "show")

    def command(self, argv: list[str], *, sandbox_dir: str, work_dir: str) -> list[str]:
        """``argv`` wrapped in bwrap and the resource limits.

        ``sandbox_dir`` is shown read-write at its own path (it holds the kernel's connection
        file and IPC sockets, its home and ``work_dir``, the working directory); the accounts
        the kernel sees (:data:`ACCOUNTS`) are written there too.
        """
        kernel = argv[0] if argv else ""
        if os.path.isabs(kernel) and os.path.basename(kernel).startswith("python"):
            # a kernel on another Python than the grader's (a course kernelspec): show that one
            missing = [
                p
                for p in _python_paths(kernel)
                if p not in self.hidden and not self.shows(p) and os.path.isdir(p)
            ]
            if missing:
                policy = self._with([*self.revealed, *missing])
                return policy.command(argv, sandbox_dir=sandbox_dir, work_dir=work_dir)
        cmd = [
            self.bwrap,
            "--die-with-parent",
            "--new-session",
            "--unshare-all",
            "--unshare-user",
            "--uid",
            "65534",
            "--gid",
            "65534",
            "--cap-drop",
            "ALL",
            "--hostname",
            "sandbox",
            "--dev",
            "/dev",
            "--proc",
            "/proc",
        ]
        layers = self._layers()
        shown = ("system", "show")
        read_only = ["/"]
        for i, (kind, path) in enumerate(layers):
            cover = [k for k, where in layers[:i] if _inside(path, where)]
            if kind == "system":
                if os.path.islink(path):
                    cmd += ["--symlink", os.readlink(path), path]
                else:
                    cmd += ["--ro-bind", path, path]
            elif kind == "tmpfs":
                cmd += ["--tmpfs", path]
            elif kind == "show" and (not cover or cover[-1] not in shown):
                cmd += ["--ro-bind", path, path]
            elif kind == "hide" and os.path.isdir(path) and not os.path.islink(path):
                if cover and cover[-1] == "hide":
                    continue  # inside a folder already emptied
                cmd += ["--tmpfs", path]
                read_only.append(path)
            elif kind == "hide" and os.path.isfile(path) and cover and cover[-1] in shown:
                cmd += ["--ro-bind", "/dev/null", path]  # a file still visible: make it empty
        accounts = os.path.join(sandbox_dir, "accounts")
        os.makedirs(accounts, exist_ok=True)
        for target, text in ACCOUNTS.items():
            if self.shows(target):
                source = os.path.join(accounts, os.path.basename(target))
                with open(source, "w", encoding="utf-8") as f:
                    f.write(text)
                cmd += ["--ro-bind", source, target]
        home = os.path.join(sandbox_dir, "home")
        cmd += ["--bind", sandbox_dir, sandbox_dir]
        for path in read_only:  # the root and the empty folders: nothing can be written there
            cmd += ["--remount-ro", path]
        cmd += ["--chdir", work_dir, "--clearenv"]
        env = dict(FIXED_ENV)
        env.update({k: os.environ[k] for k in PASSED_ENV if k in os.environ})
        env.update(
            PATH=os.pathsep.join(
                [os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]
            ),
            HOME=home,
            IPYTHONDIR=os.path.join(home, ".ipython"),
            MPLCONFIGDIR=os.path.join(home, ".matplotlib"),
            JUPYTER_RUNTIME_DIR=os.path.join(home, "runtime"),
        )
        env.update(dict(self.env))
        for key, value in sorted(env.items()):
            cmd += ["--setenv", key, value]
        limits = [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _LIMITS,
            str(self.address_space_mb * 1024 * 1024),
            str(self.file_size_mb * 1024 * 1024),
        ]
        return [*cmd, "--", *limits, *argv]


def check_sandbox(policy: SandboxPolicy, scratch: str | os.PathLike | None = None) -> None:
    """Start Python once in the sandbox; raise :class:`~clearlib.ConfigError` if it cannot.

    Examples
    --------
    >>> from clearlib.course._sandbox import SandboxPolicy, check_sandbox
    >>> check_sandbox(SandboxPolicy.for_course("/work/main/course"))  # doctest: +SKIP
    """
    with tempfile.TemporaryDirectory(prefix="clear-sbx-", dir=scratch) as tmp:
        work = os.path.join(tmp, "work")
        os.makedirs(work)
        cmd = policy.command(
            [sys.executable, "-c", "import os; print(os.getuid())"], sandbox_dir=tmp, work_dir=work
        )
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(
                f"The grading sandbox could not start: {exc}. {INSTALL_HINT}."
            ) from exc
        if done.returncode != 0 or done.stdout.strip() != "65534":
            raise ConfigError(
                "The grading sandbox (bubblewrap) could not run Python: "
                f"{(done.stderr or done.stdout).strip()[:500]!r}. bwrap needs user namespaces "
                "(run as root, or enable them: `sysctl kernel.unprivileged_userns_clone=1`); "
                f"if bwrap is missing, {INSTALL_HINT}."
            )


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in the bubblewrap sandbox of ``policy``.

    The kernel talks to nbclient over IPC sockets (files in ``sandbox_dir``), since it has no
    network; it is interrupted by message, so the interrupt reaches it inside its PID namespace.
    """

    policy = AnyTrait(None, allow_none=True, help="The SandboxPolicy.")
    sandbox_dir = Unicode("", help="The kernel's private folder (connection file, home, work).")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        os.makedirs(os.path.join(self.sandbox_dir, "home"), exist_ok=True)
        os.makedirs(os.path.join(self.sandbox_dir, "work"), exist_ok=True)
        if self.kernel_spec is not None:
            self.kernel_spec.interrupt_mode = "message"

    @property
    def stderr_path(self) -> str:
        """Where the kernel's stdout and stderr go (beside its folder, out of the learner's reach)."""
        return self.sandbox_dir.rstrip(os.sep) + ".log"

    def stderr_tail(self, size: int = 2000) -> str:
        """The end of what the kernel wrote to stderr (why it died, often)."""
        try:
            with open(self.stderr_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - size))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        with open(self.stderr_path, "ab") as log:
            kw.setdefault("stdout", log)
            kw.setdefault("stderr", log)
            await super()._async_launch_kernel(kernel_cmd, **kw)
        process = getattr(self.provisioner, "process", None)
        if process is not None and self.policy is not None:
            self._watchdog = _MemoryWatchdog(process.pid, self.policy.memory_mb)
            self._watchdog.start()

    @property
    def memory_exceeded_mb(self) -> int | None:
        """The resident memory (MiB) at which the watchdog stopped this kernel, if it did."""
        watchdog = getattr(self, "_watchdog", None)
        return watchdog.exceeded_mb if watchdog is not None else None

    _launch_kernel = _async_launch_kernel

    @property
    def work_dir(self) -> str:
        """The kernel's working directory (writable; a copy of the submission's other files)."""
        return os.path.join(self.sandbox_dir, "work")

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        """The kernel's command, wrapped in bwrap; copies the submission's files to work_dir."""
        argv = super().format_kernel_cmd(extra_arguments)
        cwd = (self._launch_args or {}).get("cwd")
        if cwd and os.path.isdir(cwd):
            shutil.copytree(
                cwd,
                self.work_dir,
                symlinks=True,
                ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"),
                dirs_exist_ok=True,
            )
        return self.policy.command(argv, sandbox_dir=self.sandbox_dir, work_dir=self.work_dir)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        watchdog = getattr(self, "_watchdog", None)
        if watchdog is not None:
            watchdog.stop()
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self.sandbox_dir, ignore_errors=True)
            with contextlib.suppress(OSError):
                os.remove(self.stderr_path)

    cleanup_resources = _async_cleanup_resources


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(x) for x in f.read().split())
        except OSError:
            continue
    return out


def tree_rss_mb(pid: int) -> int:
    """Resident memory (MiB) of process ``pid`` and all its descendants (Linux ``/proc``)."""
    total_kb, seen, todo = 0, set(), [pid]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/statm") as f:
                total_kb += int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except (OSError, ValueError, IndexError):
            continue
        todo.extend(_children(current))
    return total_kb // 1024


class _MemoryWatchdog(threading.Thread):
    """Stops a sandboxed kernel whose processes use more than ``limit_mb`` of resident memory.

    Polls every ``interval`` seconds; on a breach it kills the bwrap process, which takes the
    kernel and its children with it (``--die-with-parent``, its own PID namespace).
    """

    def __init__(self, pid: int, limit_mb: int, interval: float = 0.2) -> None:
        super().__init__(name=f"memory-watchdog-{pid}", daemon=True)
        self.pid = pid
        self.limit_mb = limit_mb
        self.interval = interval
        self.exceeded_mb: int | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            if not os.path.exists(f"/proc/{self.pid}"):
                return
            used = tree_rss_mb(self.pid)
            if used > self.limit_mb:
                self.exceeded_mb = used
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)
                return

    def stop(self) -> None:
        self._stop_event.set()


@dataclass(frozen=True)
class Incident:
    """Something the sandbox or the executor did to one cell of a submission.

    ``kind`` is one of ``timed_out``, ``out_of_memory``, ``kernel_died``, ``blocked``,
    ``output_truncated`` or ``not_run``.
    """

    notebook: str
    cell_index: int
    grade_id: str | None
    kind: str
    message: str


#: Incidents of the notebooks executed in this process since the list was last cleared.
INCIDENTS: list[Incident] = []

_FILE_ERRORS = {
    "FileNotFoundError",
    "PermissionError",
    "OSError",
    "IsADirectoryError",
    "NotADirectoryError",
    "FileExistsError",
}
_QUOTED_PATH = re.compile(r"""['"]([^'"]+)['"]\s*$""")


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` preprocessor, with each kernel in the bubblewrap sandbox.

    Configure it like ``Execute`` (``timeout`` is per cell); the extra settings are below. Put
    it in place of ``Execute`` in ``Autograde.autograde_preprocessors``.
    """

    policy = AnyTrait(None, allow_none=True, help="The SandboxPolicy; None runs unsandboxed.").tag(
        config=True
    )
    sandbox_root = Unicode("", help="Folder for the kernels' private folders.").tag(config=True)
    output_limit_kb = Integer(512, help="Most output kept per cell, in KiB.").tag(config=True)
    max_restarts = Integer(
        3, help="Kernels started again per notebook after a death, before giving up."
    ).tag(config=True)
    replay = Bool(True, help="Run earlier cells again in a restarted kernel.").tag(config=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(**kwargs)

    # --- kernels --------------------------------------------------------------------------------
    def create_kernel_manager(self):
        """A :class:`SandboxKernelManager` in a fresh private folder (or a plain one)."""
        if self.policy is None:
            return super().create_kernel_manager()
        if not self.kernel_name:
            self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name") or "python3"
        sandbox_dir = tempfile.mkdtemp(prefix="k", dir=self.sandbox_root or None)
        self.km = SandboxKernelManager(
            kernel_name=self.kernel_name,
            config=self.config,
            transport="ipc",
            connection_file=os.path.join(sandbox_dir, "kernel.json"),
            policy=self.policy,
            sandbox_dir=sandbox_dir,
        )
        return self.km

    def _restart_kernel(self) -> None:
        try:
            if self.km is not None:
                self._cleanup_kernel()
        except Exception:  # the kernel is dead or dying; start a new one anyway
            self.log.debug("cleanup of a dead kernel failed", exc_info=True)
        self.km = None
        self.kc = None
        self.km = self.create_kernel_manager()
        self.start_new_kernel()
        self.start_new_kernel_client()
        self.wait_for_reply(self.kc.kernel_info())

    # --- the notebook ---------------------------------------------------------------------------
    def preprocess(self, nb, resources=None, km=None):
        """Execute ``nb`` as nbgrader does, recovering from dead or stuck kernels."""
        resources = resources or {}
        self._host_cwd = resources.get("metadata", {}).get("path") or os.getcwd()
        self._notebook = resources.get("nbgrader", {}).get("notebook", "")
        self._replayable: list[int] = []
        self._restarts = 0
        self._gave_up = False
        self._output_bytes: dict[int, int] = {}
        self._noted: set[int] = set()
        self._replaying = False
        return super().preprocess(nb, resources, km=km)

    def _record(self, index: int, cell: NotebookNode, kind: str, message: str) -> None:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        INCIDENTS.append(Incident(self._notebook, index, grade_id, kind, message))

    def preprocess_cell(self, cell, resources, index):
        """Execute one cell; a kernel death, a stuck kernel or MemoryError fails only this cell."""
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self._gave_up:
            message = (
                f"not run: the kernel died {self._restarts} times in this notebook, so grading "
                "stopped here"
            )
            cell.outputs = [_error("NotRun", message)]
            self._record(index, cell, "not_run", message)
            return cell, resources
        self._output_bytes[index] = 0
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            used = getattr(self.km, "memory_exceeded_mb", None)
            if used is not None:
                kind, ename = "out_of_memory", "MemoryLimitExceeded"
                message = (
                    f"the cell used {used} MiB, more than the memory limit of "
                    f"{self._memory_mb()} MiB, and its kernel was stopped"
                )
            else:
                kind, ename = "kernel_died", "KernelDied"
                message = "the kernel stopped while running this cell (os._exit() or a crash)"
            cell.outputs.append(_error(ename, message))
            self._record(index, cell, kind, message)
            self._recover(index)
            return cell, resources
        except CellTimeoutError:
            message = f"the cell ran for more than {self.timeout} s and ignored the interrupt"
            cell.outputs.append(_error("CellTimeoutError", message))
            self._record(index, cell, "timed_out", message)
            self._recover(index)
            return cell, resources
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        enames = {o.get("ename") for o in errors}
        if "CellTimeoutError" in enames:
            self._record(index, cell, "timed_out", f"the cell ran for more than {self.timeout} s")
        elif "MemoryError" in enames:
            cap = self.policy.address_space_mb if self.policy is not None else 0
            message = (
                f"the cell asked for more memory than allowed (memory limit {self._memory_mb()} "
                f"MiB; address-space cap {cap} MiB)"
            )
            self._record(index, cell, "out_of_memory", message)
            self._recover(index)  # the kernel may still hold the memory: start a clean one
        else:
            self._replayable.append(index)
        for out in errors:
            blocked = self._blocked(out.get("ename", ""), str(out.get("evalue", "")))
            if blocked:
                self._record(index, cell, "blocked", blocked)
                break
        return cell, resources

    def _memory_mb(self) -> int:
        return self.policy.memory_mb if self.policy is not None else 0

    def _recover(self, index: int) -> None:
        """Start a new kernel and run again the cells before ``index`` that ran cleanly."""
        self._restarts += 1
        if self._restarts > self.max_restarts:
            self._gave_up = True
            return
        self.log.warning("Starting a new kernel after cell %s of %s", index, self._notebook)
        try:
            self._restart_kernel()
        except Exception:  # no new kernel: the remaining cells are reported as not run
            self.log.error("Could not start a new kernel", exc_info=True)
            self._gave_up = True
            return
        if not self.replay:
            return
        self._replaying = True
        try:
            for j in [i for i in self._replayable if i < index]:
                original = self.nb.cells[j]
                self._output_bytes[j] = 0
                try:
                    self.execute_cell(copy.deepcopy(original), j, store_history=False)
                except (DeadKernelError, CellTimeoutError):
                    self._gave_up = True
                    return
                finally:
                    self.nb.cells[j] = original
        finally:
            self._replaying = False

    def _blocked(self, ename: str, evalue: str) -> str | None:
        """A message if this error is the sandbox refusing a file the learner should not touch."""
        if ename not in _FILE_ERRORS:
            return None
        if "Read-only file system" in evalue or ename == "PermissionError":
            return f"blocked by the sandbox: {ename}: {evalue}"
        match = _QUOTED_PATH.search(evalue)
        if not match:
            return None
        path = os.path.normpath(os.path.join(self._host_cwd, os.path.expanduser(match.group(1))))
        if not os.path.lexists(path):
            return None
        real = os.path.realpath(path)
        hidden = [os.path.realpath(p) for p in self._policy_hidden()]
        unseen = self.policy is not None and not self.policy.shows(real)
        if unseen or any(_inside(real, h) for h in hidden):
            return f"blocked by the sandbox (not visible to learners' code): {ename}: {evalue}"
        return None

    def _policy_hidden(self) -> tuple[str, ...]:
        return self.policy.hidden if self.policy is not None else ()

    # --- output ---------------------------------------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        """Keep at most ``output_limit_kb`` KiB of output per cell; note the cut once."""
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or self.output_limit_kb <= 0:
            return out
        limit = self.output_limit_kb * 1024
        used = self._output_bytes.get(cell_index, 0)
        size = _output_size(out)
        if used + size <= limit:
            self._output_bytes[cell_index] = used + size
            return out
        self._output_bytes[cell_index] = limit
        note = cell_index not in self._noted and not self._replaying
        _truncate(out, max(0, limit - used), note=note, limit_kb=self.output_limit_kb)
        if note:  # said once per cell (a replayed cell was told the first time)
            self._noted.add(cell_index)
            cell = self.nb.cells[cell_index] if cell_index < len(self.nb.cells) else {}
            self._record(
                cell_index,
                cell,
                "output_truncated",
                f"the cell printed more than {self.output_limit_kb} KiB; the rest was dropped",
            )
        return out


def _output_size(out: NotebookNode) -> int:
    kind = out.get("output_type")
    if kind == "stream":
        return len(out.get("text", ""))
    if kind == "error":
        return sum(len(line) for line in out.get("traceback", [])) + len(str(out.get("evalue", "")))
    data = out.get("data", {})
    return sum(len(v) if isinstance(v, str) else len(str(v)) for v in data.values())


def _truncate(out: NotebookNode, keep: int, *, note: bool, limit_kb: int) -> None:
    """Cut ``out`` to about ``keep`` characters, in place."""
    mark = f"\n... output cut at {limit_kb} KiB by the grader ...\n" if note else ""
    kind = out.get("output_type")
    if kind == "stream":
        out["text"] = out.get("text", "")[:keep] + mark
    elif kind == "error":
        out["traceback"] = [line[:keep] for line in out.get("traceback", [])[:20]]
    else:
        text = out.get("data", {}).get("text/plain", "")
        if isinstance(text, list):
            text = "".join(text)
        out["data"] = {"text/plain": text[:keep] + mark}
        out["metadata"] = {}
