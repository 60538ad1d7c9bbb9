"""List engine modules over 400 lines and functions over 60 lines (the founders' size limits).

    .venv/bin/python tools/code_size.py [PATH ...]     (default: arbees_engine arbees_tui)

Prints one line per offender ("module <path> <lines>" / "function <path>:<line> <name> <lines>")
and a count of each; exits 0 (a report, not a gate: the README names the exceptions and why).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MODULE_MAX, FUNCTION_MAX = 400, 60


def offenders(root: Path) -> tuple[list[tuple[str, int]], list[tuple[str, int, str, int]]]:
    """(modules over MODULE_MAX lines, functions over FUNCTION_MAX lines) under `root`."""
    modules, functions = [], []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n") + 1
        if lines > MODULE_MAX:
            modules.append((str(path), lines))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > FUNCTION_MAX:
                    functions.append((str(path), node.lineno, node.name, length))
    return modules, functions


def main(argv: list[str]) -> int:
    """Print the offenders under each root in `argv` (default arbees_engine, arbees_tui)."""
    modules, functions = [], []
    for root in argv or ["arbees_engine", "arbees_tui"]:
        m, f = offenders(Path(root))
        modules += m
        functions += f
    for path, lines in modules:
        print(f"module {path} {lines}")
    for path, line, name, length in functions:
        print(f"function {path}:{line} {name} {length}")
    print(f"{len(modules)} modules over {MODULE_MAX} lines, {len(functions)} functions over {FUNCTION_MAX} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
