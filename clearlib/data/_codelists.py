"""Code lists: which clinical codes stand for which register, frailty deficit or medicine class.

A code list is a CSV file in the OpenCodelists download layout: a header row naming the code
column and the term column (``code,term``; OpenCodelists also writes ``id``, ``snomedct_id``,
``dmd_id`` or ``CTV3ID`` for the code), then one code per row. Before the header, lines
starting with ``#`` may say where the list comes from::

    # coding_system: snomedct
    # status: published
    # source: NHS Digital primary care domain reference set HYP_COD (QOF business rules)
    code,term
    38341003,"Hypertensive disorder, systemic arterial"

A *set* of code lists is a folder with one list per value: ``AF.csv`` holds the codes of the
atrial fibrillation register, ``falls.csv`` the codes of the eFI deficit *falls*. A value whose
codes come from several published lists gets a folder of them instead (``STIA/strk_cod.csv``
and ``STIA/tia_cod.csv``). One code may stand for several values (a code for hypertensive
chronic kidney disease is on both the HYP and the CKD register lists).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from clearlib._exceptions import DataError

__all__ = ["CODE_COLUMNS", "TERM_COLUMNS", "CodeList", "CodeListSet", "read_codelist"]

#: Header names accepted for the code column (OpenCodelists downloads use these), lower case.
CODE_COLUMNS = ("code", "id", "snomedct_id", "snomed_id", "concept_id", "dmd_id", "ctv3id")
#: Header names accepted for the term column, lower case.
TERM_COLUMNS = ("term", "description", "name", "dmd_name", "ctv3preferredtermdesc")


@dataclass(frozen=True)
class CodeList:
    """One code list: its codes, their terms, and where the list comes from.

    Attributes
    ----------
    value : str
        What the codes stand for (a register code such as ``AF``, a deficit such as ``falls``).
    path : pathlib.Path
        The CSV file.
    codes : tuple of str
        The codes, in file order.
    terms : dict of str to str
        The term of each code.
    meta : dict of str to str
        The ``# key: value`` lines above the header (``coding_system``, ``status``,
        ``source``...).
    """

    value: str
    path: Path
    codes: tuple[str, ...]
    terms: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def coding_system(self) -> str:
        """The coding system named in the header (``snomedct`` if none is named)."""
        return self.meta.get("coding_system", "snomedct")

    @property
    def is_example(self) -> bool:
        """True for a labelled example list (invented codes, not for real data)."""
        return self.meta.get("status", "").lower() == "example"


def read_codelist(path: str | Path, value: str | None = None) -> CodeList:
    """Read one code list (OpenCodelists CSV layout, optional ``# key: value`` lines first).

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.
    value : str, optional
        What the codes stand for; by default the file name without ``.csv``.

    Returns
    -------
    CodeList

    Raises
    ------
    clearlib.DataError
        If the file is missing, has no code column, or lists no code.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "AF.csv"
    >>> _ = file.write_text("# status: example\\ncode,term\\nEX-AF-1,Example AF term\\n")
    >>> cl = read_codelist(file)
    >>> cl.value, cl.codes, cl.is_example, cl.coding_system
    ('AF', ('EX-AF-1',), True, 'snomedct')
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{file}: no such code list. Check the path in the mapping file.") from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{file}: not UTF-8 text ({exc}); save the code list as CSV UTF-8."
        ) from exc
    meta: dict[str, str] = {}
    lines = text.splitlines()
    start = 0
    for start, line in enumerate(lines):  # noqa: B007 (start is used after the loop)
        if not line.startswith("#"):
            break
        key, sep, val = line.lstrip("#").partition(":")
        if sep:
            meta[key.strip().lower()] = val.strip()
    else:
        start = len(lines)
    rows = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
    if not rows:
        raise DataError(
            f"{file}: expected a header row (code,term) under the # lines, found nothing."
        )
    header = [h.strip().lower() for h in rows[0]]
    code_col = next((header.index(c) for c in CODE_COLUMNS if c in header), None)
    if code_col is None:
        raise DataError(
            f"{file}: expected a code column named one of {', '.join(CODE_COLUMNS)}, found the "
            f"header {', '.join(rows[0])}. Use the OpenCodelists CSV download as it is."
        )
    term_col = next((header.index(c) for c in TERM_COLUMNS if c in header), None)
    codes: list[str] = []
    terms: dict[str, str] = {}
    for row in rows[1:]:
        if len(row) <= code_col or not row[code_col].strip():
            continue
        code = row[code_col].strip()
        if code not in terms:
            codes.append(code)
            terms[code] = (
                row[term_col].strip() if term_col is not None and len(row) > term_col else ""
            )
    if not codes:
        raise DataError(f"{file}: the code list has a header but no codes.")
    return CodeList(value or file.stem, file, tuple(codes), terms, meta)


@dataclass(frozen=True)
class CodeListSet:
    """A folder of code lists, one per value, and the lookup from code to values.

    Parameters
    ----------
    name : str
        The set's name in the mapping file (``qof``, ``efi``...).
    lists : tuple of CodeList
        One or more lists per value.
    """

    name: str
    lists: tuple[CodeList, ...]

    @classmethod
    def from_folder(
        cls, name: str, folder: str | Path, allowed: Iterable[str] | None = None
    ) -> CodeListSet:
        """Read every ``<value>.csv`` and ``<value>/*.csv`` in ``folder``.

        Parameters
        ----------
        name : str
            The set's name, used in messages.
        folder : str or pathlib.Path
            The folder of lists.
        allowed : iterable of str, optional
            The values the lists may stand for (a column's allowed values); a file named for
            another value is an error, so a typo cannot silently drop a register.

        Raises
        ------
        clearlib.DataError
            If the folder is missing or empty, or a file is named for no allowed value.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "AF.csv").write_text("code,term\\nX1,a\\nX2,b\\n")
        >>> _ = (folder / "HYP.csv").write_text("code,term\\nX2,b\\n")
        >>> s = CodeListSet.from_folder("qof", folder, allowed=["AF", "HYP"])
        >>> s.lookup()
        {'X1': ('AF',), 'X2': ('AF', 'HYP')}
        """
        root = Path(folder)
        if not root.is_dir():
            raise DataError(
                f"code lists {name!r}: expected a folder of code lists at {root}, found "
                "nothing there. Paths in a mapping file are relative to the mapping file."
            )
        lists: list[CodeList] = []
        for entry in sorted(root.iterdir()):
            if entry.name.startswith((".", "_")) or entry.name.lower() == "readme.md":
                continue
            if entry.is_dir():
                lists += [read_codelist(f, entry.name) for f in sorted(entry.glob("*.csv"))]
            elif entry.suffix.lower() == ".csv":
                lists.append(read_codelist(entry))
        if not lists:
            raise DataError(f"code lists {name!r}: the folder {root} holds no .csv code list.")
        if allowed is not None:
            permitted = list(allowed)
            unknown = sorted({cl.value for cl in lists} - set(permitted))
            if unknown:
                raise DataError(
                    f"code lists {name!r} in {root}: the files {', '.join(unknown)} are named "
                    f"for no allowed value; expected file names from {', '.join(permitted)} "
                    "(plus .csv). Rename the files so each is named for what its codes mean."
                )
        return cls(name, tuple(lists))

    def __iter__(self) -> Iterator[CodeList]:
        return iter(self.lists)

    @property
    def values(self) -> tuple[str, ...]:
        """The values that have a list, in file order."""
        return tuple(dict.fromkeys(cl.value for cl in self.lists))

    @property
    def is_example(self) -> bool:
        """True if any list in the set is a labelled example list."""
        return any(cl.is_example for cl in self.lists)

    def lookup(self) -> dict[str, tuple[str, ...]]:
        """Each code and the values it stands for."""
        out: dict[str, list[str]] = {}
        for cl in self.lists:
            for code in cl.codes:
                values = out.setdefault(code, [])
                if cl.value not in values:
                    values.append(cl.value)
        return {code: tuple(values) for code, values in out.items()}

    def codes_for(self, value: str) -> tuple[str, ...]:
        """The codes standing for one value (from all its lists)."""
        return tuple(dict.fromkeys(c for cl in self.lists if cl.value == value for c in cl.codes))

    def term(self, code: str) -> str:
        """The term of a code (from the first list that has it)."""
        return next((cl.terms[code] for cl in self.lists if code in cl.terms), "")
