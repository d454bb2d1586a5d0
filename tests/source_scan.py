"""What a module's source imports, read with ast (the import-boundary and import-graph tests)."""

from __future__ import annotations

import ast


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the nodes under `if TYPE_CHECKING:` (never run, so never a real import)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return skipped


def imported_names(source: str, type_checking: bool = True) -> set[str]:
    """Dotted names a module's source imports, at any depth (inside functions too).

    `import a.b` gives a.b; `from a import b` gives a and a.b; `importlib.import_module("a.b")`
    and `__import__("a.b")` of a literal name give a.b. Relative imports are left out, and with
    `type_checking=False` so is everything under `if TYPE_CHECKING:`.
    """
    tree = ast.parse(source)
    skipped = set() if type_checking else _type_checking_only(tree)
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names
