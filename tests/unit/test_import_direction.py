"""One direction of imports: streams → services → geo, and inside services/ each room imports
only the rooms of its own layer or below (the store nothing above the domain core; HTTP
errors and validation below every blueprint); the domain core imports the standard library
alone. Every import statement counts, those inside functions too."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# services/ from the bottom up; a room is a package or a top-level module of services/.
LAYERS = (
    ("domain",),
    ("config", "envelopes", "runtime", "http", "vendor"),
    ("store",),
    ("calendars", "catalog", "places", "stats", "locator", "probes", "auth"),
    ("capture", "ledger", "simulate", "live", "patrol"),
    ("cases", "notify"),
    ("routing", "observability", "demo"),
    ("api", "web", "mobile_web"),
    ("app", "serving", "cli"),
)
LAYER = {room: level for level, rooms in enumerate(LAYERS) for room in rooms}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "services":
                found += [(node.lineno, f"services.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return found


def _room(module: str) -> str:
    return module.split(".")[1] if module.count(".") else module


def _breaks(top: str) -> list[str]:
    """Every import of a module under `top` that goes against the direction."""
    breaks = []
    for path in sorted((ROOT / top).rglob("*.py")):
        rel = path.relative_to(ROOT)
        name = ".".join(rel.with_suffix("").parts)
        for line, target in _imports(path):
            root = target.split(".")[0]
            where = f"{rel}:{line} imports {target}"
            if top == "geo" and root in {"services", "streams"}:
                breaks.append(where)
            elif top == "services" and root == "streams":
                breaks.append(where)
            elif top == "services" and root == "services":
                source, room = _room(name), _room(target)
                if source not in LAYER or room not in LAYER:
                    breaks.append(f"{where} (a room missing from LAYERS)")
                elif LAYER[room] > LAYER[source]:
                    breaks.append(f"{where} (layer {LAYER[room]} above {LAYER[source]})")
            if name.startswith("services.domain") and root not in sys.stdlib_module_names:
                if root != "services":
                    breaks.append(f"{where} (the domain core is standard library only)")
    return breaks


def test_geo_imports_nothing_of_ours():
    assert _breaks("geo") == []


def test_services_import_downwards_only():
    assert _breaks("services") == []


def test_every_room_of_services_has_a_layer():
    rooms = {
        p.stem if p.is_file() else p.name
        for p in (ROOT / "services").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }
    assert rooms - set(LAYER) == set()


def test_an_upward_import_is_caught(tmp_path, monkeypatch):
    store = tmp_path / "services" / "store"
    store.mkdir(parents=True)
    (store / "leak.py").write_text("from services.api.operator import bp\n")
    (tmp_path / "services" / "domain").mkdir()
    (tmp_path / "services" / "domain" / "core.py").write_text("import sqlalchemy\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = _breaks("services")
    assert len(found) == 2
    assert "services/store/leak.py:1 imports services.api.operator" in found[1]
    assert "standard library only" in found[0]


# The rooms that call the store rather than write SQL: a view, the live feed, a case handler,
# capture and the routing admin build values and call a store function.
NO_SQL_ROOMS = ("api", "live", "cases", "capture", "routing")
SQL_TEXT = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\b[a-z]\w*\.[a-z_]+\s*(?:=|<>|IN|IS)\s*(?::\w|'|ANY\b|NULL\b)",
    re.I,
)


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _sql_in(path: Path) -> list[str]:
    """Where a module writes or runs SQL itself: sqlalchemy's `text`, the store's psycopg
    helpers, an `.execute(`/`.exec_driver_sql(` call, or a string holding a statement or a
    condition over a table alias (docstrings aside)."""
    tree = ast.parse(path.read_text(), str(path))
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in {"sqlalchemy", "sqlalchemy.sql"}:
            if any(a.name == "text" for a in node.names):
                found.append(f"{node.lineno} imports text")
        elif isinstance(node, ast.ImportFrom) and node.module == "services.store":
            if any(a.name == "direct" for a in node.names):
                found.append(f"{node.lineno} imports services.store.direct")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in {"execute", "exec_driver_sql"}:
                found.append(f"{node.lineno} calls .{node.func.attr}(")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docs and SQL_TEXT.search(node.value):
                found.append(f"{node.lineno} SQL {node.value[:40]!r}")
    return found


def _sql_outside_store(root: Path) -> list[str]:
    found = []
    for room in NO_SQL_ROOMS:
        for path in sorted((root / "services" / room).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            found += [f"{rel}:{where}" for where in _sql_in(path)]
    return found


def test_views_handlers_and_the_live_feed_leave_sql_to_the_store():
    assert _sql_outside_store(ROOT) == []


def test_sql_outside_the_store_is_caught(tmp_path):
    for room in NO_SQL_ROOMS:
        (tmp_path / "services" / room).mkdir(parents=True)
    (tmp_path / "services/api/leak.py").write_text(
        '"""Reads cases: SELECT id FROM case_file (a docstring may say so)."""\n'
        "from sqlalchemy import text\n"
        "ROWS = conn.execute(text(\"SELECT id FROM case_file WHERE state = 'closed'\"))\n"
        'WHERE = "c.department_code = :dept"\n'
    )
    (tmp_path / "services/live/fine.py").write_text('LABEL = "open cases in scope"\n')
    found = _sql_outside_store(tmp_path)
    assert sorted(f.split(":", 1)[1].split(" ", 1)[0] for f in found) == ["2", "3", "3", "4"]
