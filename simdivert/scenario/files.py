"""Reading scenario files: TOML, ``extends`` inheritance and ``--set`` overrides.

A scenario file may name a base with ``extends = "base.toml"``: a path relative to the
file that says it, else the name of a built-in scenario (never the current folder, so a
file means the same wherever it is run from). Tables merge key by key; an inline table
(``assessment_minutes = { dist = "exponential", mean = 60 }``) and any other value in the
child replace the base's, as an override does. Overrides use dotted keys:
``provider.drug_workers=14``. Every error names the file that set the offending key, the
dotted key and the problem.

Only regular files of a bounded size are read (a FIFO or ``/dev/zero`` named as a
scenario is refused, not read forever), as UTF-8 text.
"""

from __future__ import annotations

import csv
import io
import re
import stat
import tomllib
from collections.abc import Callable, Sequence
from difflib import get_close_matches
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from simdivert.errors import OVERRIDE_SOURCE, ScenarioError

if TYPE_CHECKING:  # imported where a scenario is validated: naming or finding scenario
    # files (the command line's help) then loads neither pydantic nor numpy
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails

    from simdivert.scenario.schema import Scenario

DEFAULT_SCENARIO = "west_midlands"
MAX_TOML_BYTES = 1_000_000  # the largest built-in scenario is 10 kB
MAX_CSV_BYTES = 64_000_000  # a backlog of a million people


def builtin_scenario_dir() -> Path:
    """The scenarios shipped inside the package."""
    return Path(str(resources.files("simdivert.scenario") / "builtin"))


def describe_file(path: Path) -> str:
    """A scenario file as a message names it: a built-in by its name, another by its path."""
    if path.parent.resolve() == builtin_scenario_dir().resolve():
        return f"{path.stem} (built-in)"
    return str(path)


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped with simdivert."""
    return sorted(
        p.stem for p in builtin_scenario_dir().glob("*.toml") if not p.stem.startswith("_")
    )


def resolve_scenario_path(name_or_path: str | Path | None) -> Path:
    """A file path for a scenario given as a path or as a built-in scenario's name."""
    if name_or_path is None:
        name_or_path = DEFAULT_SCENARIO
    path = Path(name_or_path)
    if path.exists():
        return path
    builtin = builtin_scenario_dir() / f"{path.name.removesuffix('.toml')}.toml"
    if path.parent == Path(".") and builtin.exists():
        return builtin
    raise ScenarioError(
        str(name_or_path),
        None,
        f"no such file (built-in scenarios: {', '.join(builtin_scenarios())})",
    )


def read_text_file(path: Path, max_bytes: int, source: str | None = None) -> str:
    """The text of a regular file of at most ``max_bytes``, read as UTF-8; a ScenarioError
    (naming ``source``, else the file) otherwise, before reading anything unbounded."""
    where = source if source is not None else str(path)
    this = f"{path} " if source is not None else ""  # the file, if the error names another

    def fail(problem: str) -> ScenarioError:
        return ScenarioError(where, None, this + problem)

    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise fail("is not a regular file")
        if status.st_size > max_bytes:
            raise fail(
                f"is {status.st_size:,} bytes: larger than such a file can be "
                f"(at most {max_bytes:,})"
            )
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise fail("no such file") from None
    except OSError as exc:
        raise fail(f"cannot be read: {exc.strerror}") from None
    if len(raw) > max_bytes:
        raise fail(f"grew beyond {max_bytes:,} bytes while read")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"is not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x})") from None


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's tables; a ScenarioError naming the file if it cannot be one."""
    return _parse_toml(read_text_file(path, MAX_TOML_BYTES), path)


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), None, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(str(path), None, "not valid TOML: nested too deeply") from None


_TABLE_HEADER = re.compile(r"\[\s*([^\[\]]+?)\s*\]")
_ARRAY_HEADER = re.compile(r"\[\[")
_INLINE_TABLE = re.compile(r"([A-Za-z0-9_\-.\"' ]+?)\s*=\s*\{")


def _dotted_parts(key: str) -> tuple[str, ...]:
    """The parts of a TOML key as written (``a."b.c"`` is two parts, the second quoted)."""
    try:
        node: Any = tomllib.loads(f"{key} = 0")
    except tomllib.TOMLDecodeError:
        return tuple(part.strip().strip("\"'") for part in key.split("."))
    parts = []
    while isinstance(node, dict) and len(node) == 1:
        part, node = next(iter(node.items()))
        parts.append(part)
    return tuple(parts)


def inline_tables(text: str) -> set[tuple[str, ...]]:
    """The dotted keys a TOML text sets with an inline table (``key = { ... }``).

    TOML parsers forget how a table was written; inheritance needs it, since an inline
    table is one value that replaces the base's whole. Keys inside arrays of tables and
    multi-line strings are skipped.
    """
    found: set[tuple[str, ...]] = set()
    header: tuple[str, ...] | None = ()
    in_string = False
    for line in text.splitlines():
        stripped = line.strip()
        quotes = stripped.count('"""') + stripped.count("'''")
        if in_string or quotes:
            in_string = in_string != (quotes % 2 == 1)
            continue
        if _ARRAY_HEADER.match(stripped):
            header = None
        elif match := _TABLE_HEADER.match(stripped):
            header = _dotted_parts(match.group(1))
        elif header is not None and (match := _INLINE_TABLE.match(stripped)):
            found.add((*header, *_dotted_parts(match.group(1))))
    return found


def _stamp(data: dict[str, Any], source: str, prefix: str = "") -> dict[str, str]:
    """Which file set each dotted key (tables and their leaves)."""
    origin = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        origin[dotted] = source
        if isinstance(value, dict):
            origin.update(_stamp(value, source, f"{dotted}."))
    return origin


def _merge(
    base: dict[str, Any],
    child: dict[str, Any],
    whole: set[tuple[str, ...]] = frozenset(),  # type: ignore[assignment]
    prefix: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The child's values over the base's: tables key by key, except those in ``whole``
    (written inline), which replace the base's table."""
    merged = dict(base)
    for key, value in child.items():
        here = (*prefix, key)
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and here not in whole:
            merged[key] = _merge(merged[key], value, whole, here)
        else:
            merged[key] = value
    return merged


def builtin_scenario_path(name: str) -> Path | None:
    """The built-in scenario a bare name (``west_midlands`` or ``west_midlands.toml``)
    means, or None."""
    builtin = builtin_scenario_dir() / f"{Path(name).name.removesuffix('.toml')}.toml"
    return builtin if Path(name).parent == Path(".") and builtin.exists() else None


def base_path(path: Path, base_name: str) -> Path:
    """The file ``extends = base_name`` in ``path`` means: beside ``path``, else a built-in
    (never a file in the current folder: a file means the same wherever it is used)."""
    beside = path.parent / base_name
    if beside.exists():
        return beside
    builtin = builtin_scenario_path(base_name)
    if builtin is not None:
        return builtin
    raise ScenarioError(
        str(path),
        "extends",
        f"base scenario {base_name!r} not found: not beside this file ({beside}) nor a "
        f"built-in ({', '.join(builtin_scenarios())})",
    )


def _load_with_bases(
    path: Path, chain: tuple[Path, ...]
) -> tuple[dict, dict[str, str], list[Path]]:
    """The merged tables, which file set each key, and the files read, the child first."""
    resolved = path.resolve()
    if resolved in chain:
        loop = " -> ".join(p.name for p in (*chain, resolved))
        raise ScenarioError(str(path), "extends", f"extends loop: {loop}")
    text = read_text_file(path, MAX_TOML_BYTES)
    data = _parse_toml(text, path)
    base_name = data.pop("extends", None)
    origin = _stamp(data, str(path))
    if base_name is None:
        return data, origin, [path]
    if not isinstance(base_name, str):
        raise ScenarioError(str(path), "extends", "must be a file name (a string)")
    base, base_origin, bases = _load_with_bases(base_path(path, base_name), (*chain, resolved))
    base.pop("name", None)  # a scenario is named by its own file unless it says otherwise
    whole = inline_tables(text)
    for key in whole:  # the base's keys inside a replaced table no longer count
        base_origin = {
            k: v for k, v in base_origin.items() if not k.startswith(".".join(key) + ".")
        }
    return _merge(base, data, whole), {**base_origin, **origin}, [path, *bases]


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``dotted.key=value``; the value is read as TOML, else taken as a string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(OVERRIDE_SOURCE, text, "expected dotted.key=value")
    if any(not part.strip() for part in key.split(".")):
        raise ScenarioError(OVERRIDE_SOURCE, key, "a dotted key with an empty part")
    try:
        value = tomllib.loads(f"value = {raw.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    except RecursionError:
        raise ScenarioError(OVERRIDE_SOURCE, key, "the value is nested too deeply") from None
    return key, value


def _apply_override(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    """Set a dotted key, creating tables on the way; validation rejects unknown keys.

    ``source`` (``--set``, a sweep file) is named if the key runs through a value.
    """
    parts = key.split(".")
    node = data
    for depth, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            where = ".".join(parts[: depth + 1])
            raise ScenarioError(source, key, f"{where} is a value, not a table")
        node = child
    node[parts[-1]] = value


def _problem(error: ErrorDetails) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "missing key"
    message = error["msg"].removeprefix("Value error, ")
    if "input" in error and not isinstance(error["input"], dict | list):
        message += f" (got {error['input']!r})"
    return message


_ABSENT = object()


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part, _ABSENT)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _ABSENT


def _dotted(loc: tuple, data: Any) -> str:
    """The dotted key of an error location, without pydantic's union-tag parts."""
    parts = []
    node = data
    for position, part in enumerate(loc):
        child = _child(node, part)
        is_tag = isinstance(node, dict) and part in node.values()
        if child is _ABSENT and (position < len(loc) - 1 or is_tag):
            continue  # e.g. the tag "lognormal" pydantic adds inside a tagged union
        node = child
        if part != "[key]":  # pydantic's mark of a problem with a mapping's key itself
            parts.append(str(part))
    return ".".join(parts)


def _model_of(annotation: Any) -> Any:
    """The pydantic model an annotation holds (inside ``X | None``, ``list[X]``,
    ``Annotated[X, ...]``), or None."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for inner in get_args(annotation):
        found = _model_of(inner)
        if found is not None:
            return found
    return None


def _known_keys(model: Any, loc: tuple) -> list[str]:
    """The keys the model takes at the table ``loc`` leads to (empty if unknown)."""
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = _model_of(field.annotation) if field is not None else None
    return list(model.model_fields) if model is not None else []


def _suggestion(error: ErrorDetails, model: Any) -> str:
    """`` (did you mean drug_workers?)`` for an unknown key close to a known one."""
    if error["type"] != "extra_forbidden" or model is None or not error["loc"]:
        return ""
    *parent, key = error["loc"]
    close = get_close_matches(str(key), _known_keys(model, tuple(parent)), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


_LEADING_KEY = re.compile(r"^(?P<key>[a-z_][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+): (?P<problem>.+)$")


def _key_in_problem(key: str | None, problem: str, model: Any) -> tuple[str | None, str]:
    """A check across the whole model (no location) names the dotted key it is about at
    the start of its message (``course.streams.ketamine: ...``): take the key from there,
    so that the error names the file, or override, that set it."""
    match = _LEADING_KEY.match(problem) if key is None and model is not None else None
    if match is None or match["key"].split(".", 1)[0] not in model.model_fields:
        return key, problem
    return match["key"], match["problem"]


def first_problem(
    exc: ValidationError,
    data: Any,
    model: Any = None,
    source_of: Callable[[str], str] | None = None,
) -> tuple[str | None, str]:
    """The dotted key of a validation error's first problem, and every problem in words
    on one line: the first, then ``; key: problem`` for each other (with its source, from
    ``source_of``, where that differs from the first's). An unknown key close to one that
    ``model`` (the pydantic model validated) takes says which it may have meant."""
    found = [
        _key_in_problem(
            _dotted(error["loc"], data) or None, _problem(error) + _suggestion(error, model), model
        )
        for error in exc.errors()
    ]
    (key, problem), others = found[0], found[1:]
    first_source = source_of(key or "") if source_of is not None else ""
    for other_key, other_problem in others:
        where = other_key or ""
        source = source_of(where) if source_of is not None else first_source
        if source != first_source:
            where = f"{source}: {where}" if where else source
        problem += f"; {where}: {other_problem}" if where else f"; {other_problem}"
    return key, problem


def _source_of(key: str, origin: dict[str, str], leaf: str, order: Sequence[str]) -> str:
    """Who set ``key``: for a table (a problem across its keys), the last source in
    ``order`` (bases first, overrides last) to set any key in it."""
    inside = [source for k, source in origin.items() if k.startswith(f"{key}.")]
    if key and inside:
        return max(inside, key=lambda source: order.index(source) if source in order else -1)
    while key:
        if key in origin:
            return origin[key]
        key = key.rpartition(".")[0]
    return leaf


def _read_backlog_csv(data: dict[str, Any], origin: dict[str, str]) -> None:
    """Replace ``backlog.file`` by the people it lists (columns ``stage,waited_days``).

    The path is relative to the file that names it (a scenario or a sweep file); given
    on the command line (``--set``, ``--vary``), to the working folder.
    """
    backlog = data.get("backlog")
    if not isinstance(backlog, dict) or not isinstance(backlog.get("file"), str):
        return
    source = origin.get("backlog.file", "")
    base = Path(source).parent if source and source != OVERRIDE_SOURCE else Path(".")
    path = base / backlog["file"]
    try:
        text = read_text_file(path, MAX_CSV_BYTES, source)
    except ScenarioError as exc:
        raise ScenarioError(source, "backlog.file", exc.problem) from None
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ScenarioError(str(path), None, f"not valid CSV: {exc}") from None
    people = []
    for line, row in enumerate(rows, start=2):
        try:
            people.append({"stage": row["stage"].strip(), "waited_days": float(row["waited_days"])})
        except (KeyError, AttributeError, TypeError, ValueError):
            raise ScenarioError(
                str(path), f"line {line}", "expected columns stage,waited_days with a number"
            ) from None
    backlog["people"] = people


def load_scenario(
    name_or_path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> Scenario:
    """Read, merge, override and validate a scenario; raise ScenarioError if unusable."""
    path = resolve_scenario_path(name_or_path)
    return load_scenario_with_values(path, [parse_override(text) for text in overrides])


def load_scenario_and_bases(
    name_or_path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> tuple[Scenario, list[Path]]:
    """:func:`load_scenario`, and the files it read: the scenario's, then its bases'."""
    path = resolve_scenario_path(name_or_path)
    return _load(path, [parse_override(text) for text in overrides], OVERRIDE_SOURCE)


def load_scenario_with_values(
    name_or_path: str | Path | None,
    values: Sequence[tuple[str, Any]],
    source: str = OVERRIDE_SOURCE,
) -> Scenario:
    """A scenario with dotted-key values already parsed (a sweep's cells, overrides).

    ``source`` names where the values came from in error messages (an override, a sweep
    file).
    """
    return _load(resolve_scenario_path(name_or_path), values, source)[0]


def _load(
    path: Path, values: Sequence[tuple[str, Any]], source: str
) -> tuple[Scenario, list[Path]]:
    from pydantic import ValidationError

    from simdivert.scenario.schema import Scenario

    data, origin, files = _load_with_bases(path, ())
    data.setdefault("name", path.stem)
    origin.setdefault("name", str(path))
    for key, value in values:
        _apply_override(data, key, value, source)
        origin = {k: v for k, v in origin.items() if not k.startswith(f"{key}.")}
        origin.update(_stamp({key: value}, source))
    _read_backlog_csv(data, origin)
    try:
        return Scenario.model_validate(data), files
    except ValidationError as exc:
        order = [*(str(f) for f in reversed(files)), source]
        bad_key, problem = first_problem(
            exc, data, Scenario, lambda key: _source_of(key, origin, str(path), order)
        )
        source_of_key = _source_of(bad_key or "", origin, str(path), order)
        raise ScenarioError(source_of_key, bad_key, problem) from None


def scenario_as_toml(scenario: Scenario, header: str = "") -> str:
    """A scenario, whole (its bases and overrides merged in), as a TOML file that loads
    back to the same scenario; ``header`` (comment lines) goes first."""
    import tomli_w

    data = scenario.model_dump(mode="json", exclude_none=True)
    data["backlog"].pop("file", None)  # its people are listed in the file itself
    return header + tomli_w.dumps(data)


# --- Where each value comes from --------------------------------------------------------

PUBLISHED, ASSUMPTION = "published", "assumption"
_TAG = re.compile(r"\[(published|assumption)\]")
_TABLE = re.compile(r"^\[\[?\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r'^("[^"]+"|[A-Za-z0-9_.\-]+)\s*=')


def _comment_tags(path: Path) -> dict[str, str]:
    """Each dotted key a scenario file sets, tagged ``[published]`` or ``[assumption]``
    in the comment on its line or, failing that, in the comment block just above it."""
    tags: dict[str, str] = {}
    table, above = "", None
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if not text:
            above = None
        elif text.startswith("#"):
            found = _TAG.search(text)
            above = above or (found[1] if found else None)
        elif (header := _TABLE.match(text)) is not None:
            table, above = header[1].replace('"', ""), None
        elif (key := _KEY.match(text)) is not None:
            found = _TAG.search(text.partition("#")[2])
            tag = found[1] if found else above
            if tag is not None:
                tags[f"{table}.{key[1].strip(chr(34))}".lstrip(".")] = tag
            above = None
    return tags


def value_sources(name_or_path: str | Path | None, overrides: Sequence[str] = ()) -> dict[str, str]:
    """Per dotted key, whether its value is ``published`` or an ``assumption`` (as the
    comment beside it in the file that sets it says) or an ``override``; keys whose file
    says neither are left out. Reads the files again, comments and all."""
    path = resolve_scenario_path(name_or_path)
    _, origin, _ = _load_with_bases(path, ())
    tags: dict[str, dict[str, str]] = {}
    sources = {}
    for key, file in origin.items():
        if file not in tags:
            tags[file] = _comment_tags(Path(file))
        if key in tags[file]:
            sources[key] = tags[file][key]
    for text in overrides:
        key = parse_override(text)[0]
        sources = {k: v for k, v in sources.items() if not k.startswith(f"{key}.")}
        sources[key] = OVERRIDE_SOURCE
    return sources
