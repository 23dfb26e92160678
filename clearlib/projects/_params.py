"""A template's parameters: what it declares, and turning ``key=value`` texts into values.

A project template declares its parameters in the cell tagged ``parameters`` (Papermill's
convention); :func:`template_parameters` reads them with :func:`papermill.inspect_notebook`, so
the names, defaults and comments a run is checked against are exactly those Papermill injects
beside. The type of each parameter is its annotation when it has one (``pcn_code: str = ""``),
else the type of its default (``risk_top_share = 0.05`` is a float).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearlib._exceptions import ConfigError

__all__ = [
    "Parameter",
    "check_parameters",
    "parse_parameters",
    "parse_value",
    "template_parameters",
]

#: The Python types a parameter's type name accepts (``float`` takes whole numbers too).
_ACCEPTS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list, tuple),
    "tuple": (list, tuple),
    "dict": (dict,),
}


@dataclass(frozen=True)
class Parameter:
    """One parameter declared in a template's ``parameters`` cell.

    Attributes
    ----------
    name : str
        The variable name.
    type_name : str
        ``"str"``, ``"int"``, ``"float"``, ``"bool"``, ``"list"``, ``"dict"``, or ``"any"`` when
        neither an annotation nor a literal default says.
    default : object
        The default as a Python value (``None`` if it is not a literal).
    default_source : str
        The default as written in the cell.
    help : str
        The comment beside it.
    """

    name: str
    type_name: str
    default: Any
    default_source: str
    help: str = ""


def template_parameters(template: str | Path) -> dict[str, Parameter]:
    """The parameters a template declares, in the order of its ``parameters`` cell.

    Parameters
    ----------
    template : path
        A notebook with one cell tagged ``parameters``.

    Returns
    -------
    dict of str to Parameter

    Raises
    ------
    ConfigError
        If the template is missing, not a notebook, or has no cell tagged ``parameters``.

    Examples
    --------
    >>> import tempfile, nbformat
    >>> nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3",
    ...     "language": "python", "display_name": "Python 3"}})
    >>> cell = nbformat.v4.new_code_cell('pcn_code = ""  # the PCN\\nrisk_top_share = 0.05')
    >>> cell.metadata["tags"] = ["parameters"]
    >>> nb.cells = [cell]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "t.ipynb"
    ...     nbformat.write(nb, path)
    ...     params = template_parameters(path)
    >>> [(p.name, p.type_name, p.default) for p in params.values()]
    [('pcn_code', 'str', ''), ('risk_top_share', 'float', 0.05)]
    """
    import papermill

    path = Path(template)
    _check_template(path)
    inspected = papermill.inspect_notebook(str(path))
    found = {}
    for name, info in inspected.items():
        source = str(info.get("default", ""))
        try:
            default = ast.literal_eval(source)
        except (ValueError, SyntaxError):
            default = None
        type_name = str(info.get("inferred_type_name") or "None")
        if type_name not in _ACCEPTS:
            type_name = type(default).__name__ if type(default).__name__ in _ACCEPTS else "any"
        found[name] = Parameter(name, type_name, default, source, str(info.get("help") or ""))
    return found


def _check_template(path: Path) -> None:
    if not path.is_file():
        raise ConfigError(
            f"No template at {path}: expected a notebook (.ipynb), such as "
            "templates/project/anticipatory-care-workforce.ipynb."
        )
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
        raise ConfigError(f"{path} is not a readable notebook ({exc}).") from None
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in cells):
        raise ConfigError(
            f"{path} has no cell tagged 'parameters', so it declares no parameters to run it "
            "with. Tag the cell that sets the defaults 'parameters' (JupyterLab: Property "
            "Inspector, Cell Tags)."
        )


def parse_value(text: str, type_name: str = "any") -> Any:
    """Turn the text of ``-p key=value`` into a value of the parameter's type.

    Text parameters take the text as it is (``2024-04-01`` stays a string); lists take YAML
    (``[a, b]``) or commas (``a,b``); everything else is read as YAML, without dates, as
    ``papermill -y`` reads it (papermill's ``NoDatesSafeLoader``).

    Examples
    --------
    >>> parse_value("2024-04-01", "str"), parse_value("0.1", "float"), parse_value("3")
    ('2024-04-01', 0.1, 3)
    >>> parse_value("proactive_care,cheapest_mix", "list"), parse_value("[a, 2]", "list")
    (['proactive_care', 'cheapest_mix'], ['a', 2])
    >>> parse_value("true", "bool"), parse_value("2024-04-01")
    (True, '2024-04-01')
    """
    import yaml
    from papermill.iorw import NoDatesSafeLoader

    if type_name == "str":
        return text
    if type_name in ("list", "tuple") and not text.lstrip().startswith("["):
        return [item.strip() for item in text.split(",") if item.strip()]
    try:
        return yaml.load(text, Loader=NoDatesSafeLoader)
    except yaml.YAMLError:
        return text


def parse_parameters(template: str | Path, pairs: Iterable[str]) -> dict[str, Any]:
    """Read ``key=value`` texts (as given to ``-p``) into parameters of a template.

    Parameters
    ----------
    template : path
        The template; its ``parameters`` cell gives the names and types.
    pairs : iterable of str
        Texts ``name=value``; each value is read by :func:`parse_value` for the type of
        that parameter.

    Returns
    -------
    dict
        The parameters, checked by :func:`check_parameters`.

    Raises
    ------
    ConfigError
        If a text has no ``=``, names no parameter of the template, or gives a value of the
        wrong type.
    """
    declared = template_parameters(template)
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(
                f"Expected a parameter as name=value (for example pcn_code=SYN-PCN01); "
                f"got {pair!r}."
            )
        _check_known(template, [name], declared)
        values[name] = parse_value(text, declared[name].type_name)
    return check_parameters(template, values, declared=declared)


def check_parameters(
    template: str | Path,
    parameters: Mapping[str, Any] | None,
    *,
    declared: Mapping[str, Parameter] | None = None,
) -> dict[str, Any]:
    """Check parameters against those the template declares: known names, right types.

    Returns
    -------
    dict
        The parameters (tuples become lists, as JSON and the manifest keep them).

    Raises
    ------
    ConfigError
        Naming an unknown parameter and listing the known ones, or naming a value of the
        wrong type with the parameter's default as an example.
    """
    declared = template_parameters(template) if declared is None else declared
    values = dict(parameters or {})
    _check_known(template, list(values), declared)
    checked = {}
    for name, value in values.items():
        expected = declared[name]
        accepts = _ACCEPTS.get(expected.type_name)
        wrong = accepts is not None and (
            not isinstance(value, accepts)
            or (isinstance(value, bool) and expected.type_name in ("int", "float"))
        )
        if wrong and value is not None:
            raise ConfigError(
                f"Parameter {name} of {Path(template).name} expects a {expected.type_name} "
                f"(its default is {expected.default_source}); got {value!r} "
                f"({type(value).__name__})."
            )
        checked[name] = list(value) if isinstance(value, tuple) else value
    return checked


def _check_known(template: str | Path, names: list[str], declared: Mapping[str, Parameter]):
    unknown = [n for n in names if n not in declared]
    if unknown:
        known = ", ".join(declared) or "none"
        raise ConfigError(
            f"{Path(template).name} has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters are: {known}. Check the spelling, or add the parameter to the "
            "template's cell tagged 'parameters'."
        )
