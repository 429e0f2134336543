"""Every public class, function and method in the shipped stubs (``_koko.pyi``) has a docstring, so editors show
help for each one; ``__enter__``/``__exit__`` too."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import List, Union

import koko

STUB = Path(koko.__file__).resolve().parent / "_koko.pyi"
DUNDERS_THAT_NEED_DOCS = {"__enter__", "__exit__"}

Definition = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef]


def public(name: str) -> bool:
    return not name.startswith("_") or name in DUNDERS_THAT_NEED_DOCS


def undocumented(tree: ast.Module) -> List[str]:
    missing: List[str] = []

    def visit(body: List[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                path = f"{prefix}{node.name}"
                if public(node.name) and not (ast.get_docstring(node) or "").strip():
                    missing.append(f"{path} (line {node.lineno})")
                if isinstance(node, ast.ClassDef):
                    visit(node.body, f"{path}.")

    visit(tree.body, "")
    return missing


def test_the_installed_stubs_are_shipped_beside_the_package() -> None:
    assert STUB.is_file() and (STUB.parent / "py.typed").is_file()


def test_every_public_definition_in_the_stubs_has_a_docstring() -> None:
    missing = undocumented(ast.parse(STUB.read_text(encoding="utf-8"), filename=str(STUB)))
    assert not missing, f"{len(missing)} stub definitions without a docstring:\n" + "\n".join(missing)


def test_the_check_catches_a_missing_docstring() -> None:
    sample = ast.parse(
        "class Documented:\n"
        '    """Yes."""\n'
        "    def fine(self) -> None:\n"
        '        """Yes."""\n'
        "    def bare(self) -> None: ...\n"
        "    def _private(self) -> None: ...\n"
        "    def __exit__(self, *exc: object) -> bool: ...\n"
        "class Bare: ...\n"
        "def function() -> None: ...\n"
    )
    assert undocumented(sample) == [
        "Documented.bare (line 5)",
        "Documented.__exit__ (line 7)",
        "Bare (line 8)",
        "function (line 9)",
    ]


def test_every_class_the_package_exports_is_in_the_stubs() -> None:
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    stubbed = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    native = {name for name in koko.__all__ if isinstance(getattr(koko, name), type) and
              getattr(koko, name).__module__ == "koko" and not issubclass(getattr(koko, name), Exception)}
    assert native and native <= stubbed, native - stubbed
