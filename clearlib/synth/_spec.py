"""Population specs: declarative TOML files that say what population to generate.

A spec names its PCNs and practices (or how to draw them), and every population parameter
with its source. Invented values say ``assumption``. Specs may extend a base spec
(``extends = "population"``): the base holds the shared population parameters.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearlib._config import specs_dir
from clearlib._exceptions import SpecError
from clearlib.synth._practice_spec import PracticeSpec
from clearlib.synth._practices import expand_practices

__all__ = ["PracticeSpec", "Spec", "available_specs", "load_spec"]

SCHEMA_VERSION = 1

#: The generator's model version. Raise it whenever a change to the generator's code changes
#: what a spec produces: it is folded into :meth:`Spec.digest`, so cached datasets made by an
#: older generator are made again on next use (``clearlib.load_pcn`` compares digests).
GENERATOR_VERSION = 2


@dataclass(frozen=True)
class Spec:
    """A loaded, merged population spec.

    Attributes
    ----------
    name : str
        The spec's name (its file stem).
    seed : int
        The default seed.
    params : dict
        The merged TOML document (base spec overlaid by this spec).
    practices : tuple of PracticeSpec
        Every practice, in order, with its PCN.
    """

    name: str
    seed: int
    params: dict[str, Any]
    practices: tuple[PracticeSpec, ...] = field(default=())
    path: Path | None = None

    @property
    def pcn_codes(self) -> tuple[str, ...]:
        """The PCN codes, in order of first appearance."""
        return tuple(dict.fromkeys(p.pcn_code for p in self.practices))

    def practices_of(self, pcn_code: str) -> tuple[PracticeSpec, ...]:
        """The practices of one PCN."""
        return tuple(p for p in self.practices if p.pcn_code == pcn_code)

    @property
    def total_list_size(self) -> int:
        """The sum of the practices' target list sizes."""
        return sum(p.list_size for p in self.practices)

    def scaled(self, factor: float) -> Spec:
        """The same spec with every practice's list size multiplied by ``factor``.

        Useful to check deprivation gradients on a population large enough that sampling
        noise is small (e.g. a 200,000-patient default).

        Examples
        --------
        >>> load_spec("default").scaled(4).total_list_size
        192000
        """
        import dataclasses

        if not factor > 0:
            raise SpecError(f"scale factor must be positive, found {factor!r}")
        practices = tuple(
            dataclasses.replace(p, list_size=max(1, round(p.list_size * factor)))
            for p in self.practices
        )
        params = copy.deepcopy(self.params)
        params["scale"] = factor
        return dataclasses.replace(
            self, practices=practices, params=params, name=f"{self.name}-x{factor:g}"
        )

    def digest(self) -> str:
        """A short hash of the merged parameters and the generator's model version.

        It changes whenever the spec does, or the generator's model (``GENERATOR_VERSION``).
        """
        doc = {"params": self.params, "generator_version": GENERATOR_VERSION}
        blob = json.dumps(doc, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def available_specs() -> list[str]:
    """The names of the specs that can be generated (not the base specs)."""
    return sorted(
        p.stem for p in specs_dir().glob("*.toml") if not _read_toml(p).get("abstract", False)
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML ({exc}). Fix the syntax and try again.") from exc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _resolve_path(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        return path.resolve()
    candidate = specs_dir() / f"{name_or_path}.toml"
    if candidate.exists():
        return candidate
    raise SpecError(
        f"no population spec {str(name_or_path)!r}: expected a file in {specs_dir()} or a path "
        f"to a .toml file; the specs available are {', '.join(available_specs())}."
    )


def _load_merged(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    if path in seen:
        raise SpecError(f"{path}: 'extends' forms a loop through {', '.join(map(str, seen))}.")
    doc = _read_toml(path)
    base_name = doc.get("extends")
    if base_name:
        base = _load_merged(_resolve_path(base_name), (*seen, path))
        base.pop("abstract", None)
        doc = _merge(base, doc)
    return doc


def load_spec(name_or_path: str | Path = "default") -> Spec:
    """Load a population spec by name (``"default"``, ``"ics"``) or path, and check it.

    Raises
    ------
    SpecError
        Listing every problem found, not just the first.

    Examples
    --------
    >>> spec = load_spec("default")
    >>> spec.name, len(spec.pcn_codes)
    ('default', 1)
    """
    from clearlib.synth._speccheck import check_params

    path = _resolve_path(name_or_path)
    params = _load_merged(path)
    problems = check_params(params, source=str(path))
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise SpecError(
            f"{path}: {len(problems)} problem(s) in the population spec:\n{listing}\n"
            "Fix them in the spec (every number needs a 'source' or 'assumption' beside it)."
        )
    practices = expand_practices(params)
    return Spec(
        name=params.get("name", path.stem),
        seed=int(params.get("seed", 0)),
        params=params,
        practices=practices,
        path=path,
    )
