"""Amazon's static sandbox, served from the API models' own examples.

Each operation of a model may carry ``x-amzn-api-sandbox.static`` examples: a
request (parameter values) and the response Amazon's sandbox answers to it. In
sandbox mode the emulator answers a request matching an example with that
example's status and body, as sandbox.sellingpartnerapi-*.amazon.com does.
"""

import json
import pathlib
import re
from dataclasses import dataclass

HTTP_METHODS = ("get", "put", "post", "patch", "delete")
# An example parameter given without a value matches any value.
ANY = object()


@dataclass
class Example:
    operation: str
    status: int
    parameters: dict
    response: object


@dataclass
class SandboxOperation:
    method: str
    pattern: re.Pattern
    operation: str
    body_names: tuple
    examples: list


def _path_pattern(template):
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return re.compile(f"^{regex}$")


def load_operations(models_dir):
    """Every operation of every model in ``models_dir`` that has examples."""
    operations = []
    for path in sorted(pathlib.Path(models_dir).glob("*.json")):
        model = json.loads(path.read_text(encoding="utf-8"))
        if "paths" not in model:
            continue  # feed and report schemas, not API models
        for template, methods in model["paths"].items():
            for method, operation in methods.items():
                if method not in HTTP_METHODS:
                    continue
                examples = []
                for status, response in operation.get("responses", {}).items():
                    for example in response.get("x-amzn-api-sandbox", {}).get("static", []):
                        examples.append(
                            Example(
                                operation=operation["operationId"],
                                status=int(status),
                                parameters={
                                    name: spec.get("value", ANY)
                                    for name, spec in example.get("request", {})
                                    .get("parameters", {})
                                    .items()
                                },
                                response=example.get("response"),
                            )
                        )
                if examples:
                    body_names = tuple(
                        p["name"] for p in operation.get("parameters", []) if p.get("in") == "body"
                    )
                    operations.append(
                        SandboxOperation(
                            method.upper(),
                            _path_pattern(template),
                            operation["operationId"],
                            body_names,
                            examples,
                        )
                    )
    return operations


def _same(expected, actual):
    if expected is ANY:
        return True
    if isinstance(expected, list):
        if isinstance(actual, str):
            actual = [value for value in actual.split(",") if value]
        return [str(v) for v in expected] == [str(v) for v in actual or []]
    if isinstance(expected, dict | bool) or expected is None:
        return expected == actual
    return str(expected) == str(actual)


class Sandbox:
    def __init__(self, models_dir):
        self.operations = load_operations(models_dir)

    def match(self, method, path):
        for operation in self.operations:
            found = operation.pattern.match(path)
            if found and operation.method == method:
                return operation, found.groupdict()
        return None, None

    @staticmethod
    def answer(operation, path_params, query, body):
        """The most specific example matching the request, or None. (Examples
        often extend one another; the one naming the most values wins.)"""
        best = None
        for example in operation.examples:
            matched = True
            for name, expected in example.parameters.items():
                if name in path_params:
                    actual = path_params[name]
                elif name in operation.body_names or name == "body":
                    # Examples call the body "body" whatever the model names it.
                    actual = body
                else:
                    actual = query.get(name)
                if not _same(expected, actual):
                    matched = False
                    break
            if matched and (best is None or _specificity(example) > _specificity(best)):
                best = example
        return best


def _specificity(example):
    """Parameters with a value weigh more than parameters matching anything."""
    values = example.parameters.values()
    return (sum(v is not ANY for v in values), len(example.parameters))
