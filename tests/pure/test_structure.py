"""The code's size targets, checked on every run (issues #34 and #42): a
reader takes in one file, one class, one step at a time."""

import ast

import pytest
from conftest import REPO

MAX_FILE_LINES = 500
MAX_CLASS_LINES = 400
MAX_NESTED_FUNCTIONS = 4  # in models/: a flow's steps are methods, not closures


def _python_files(folder):
    return sorted((REPO / folder).glob("*.py"))


@pytest.mark.parametrize("folder", ["models", "spapi_emulator"])
def test_no_file_over_500_lines(folder):
    long = {
        path.name: count
        for path in _python_files(folder)
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    }
    assert not long, f"{folder}/ files over {MAX_FILE_LINES} lines: {long}"


def test_no_model_class_over_400_lines():
    long = {}
    for path in _python_files("models"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_CLASS_LINES:
                    long[f"{path.name}:{node.name}"] = lines
    assert not long, f"classes over {MAX_CLASS_LINES} lines: {long}"


def test_few_nested_functions_in_models():
    nested = []
    for path in _python_files("models"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                nested += [
                    f"{path.name}:{node.name}.{inner.name}"
                    for inner in ast.walk(node)
                    if inner is not node and isinstance(inner, ast.FunctionDef)
                ]
    assert len(nested) <= MAX_NESTED_FUNCTIONS, nested
