"""One public API: the UI, the CLI and the server import only `rag` and `ingest` themselves, whose `__all__`
names exactly what they export; the libraries never import a front end."""

import ast
import importlib

import pytest

from tests.conftest import ROOT

FRONT_ENDS = ["streamlit_app.py", "folio_cli.py", "folio_server.py"]
PACKAGES = ["rag", "ingest"]


def _imports(path) -> list[str]:
    """Every module named by an import statement in the file (at any depth of the code)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_front_ends_use_only_the_packages_public_api(front_end):
    deeper = [name for name in _imports(ROOT / front_end) if name.split(".")[0] in PACKAGES and "." in name]
    assert deeper == [], f"{front_end} reaches past the public API: {deeper}"


@pytest.mark.parametrize("package", PACKAGES)
def test_libraries_never_import_a_front_end(package):
    fronts = {name.removesuffix(".py") for name in FRONT_ENDS}
    for path in (ROOT / package).rglob("*.py"):
        assert not fronts & set(_imports(path)), f"{path.relative_to(ROOT)} imports a front end"


@pytest.mark.parametrize("package", PACKAGES)
def test_all_names_exactly_what_each_package_exports(package):
    module = importlib.import_module(package)
    assert module.__all__ == sorted(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name} does not resolve"
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018 - unknown names fail like a normal module's


@pytest.mark.parametrize("package", PACKAGES)
def test_type_checkers_see_each_public_name_imported_from_its_home(package):
    """The lazy package's `if TYPE_CHECKING:` block imports exactly the names it exports, each from the module
    `__getattr__` loads it from."""
    tree = ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))
    imported = {
        alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(f"{package}.")
        for alias in node.names
    }
    assert imported == importlib.import_module(package)._HOMES


def test_the_front_ends_names_are_all_exported():
    used: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for front_end in FRONT_ENDS:
        for node in ast.walk(ast.parse((ROOT / front_end).read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in PACKAGES:
                used[node.module] |= {alias.name for alias in node.names}
    for package, names in used.items():
        assert names <= set(importlib.import_module(package).__all__), names - set(
            importlib.import_module(package).__all__
        )
