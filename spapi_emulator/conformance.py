"""Check the emulator's answers against Amazon's own API models.

Used by the test suites: every call an emulator received during a test is
validated (response body against the response schema of its status; uploaded
listings feeds and processing reports against their JSON schemas). Needs the
``jsonschema`` package and a directory of Amazon's models (shared/spapi-models).
"""

import json
import os
import pathlib
import re

from .contract import MODEL_FILES, load_once
from .sandbox import HTTP_METHODS

FEED_SCHEMA = "listings-feed-schema-v2.json"
REPORT_SCHEMA = "listings-feed-processing-report-schema-v2.json"


def find_models_dir(start):
    """``$SAC_SPAPI_MODELS``, else ``shared/spapi-models`` beside the checkout."""
    if os.environ.get("SAC_SPAPI_MODELS"):
        candidate = pathlib.Path(os.environ["SAC_SPAPI_MODELS"])
        return candidate if candidate.is_dir() else None
    for folder in pathlib.Path(start).resolve().parents:
        candidate = folder / "shared" / "spapi-models"
        if (candidate / "orders_2026-01-01.json").is_file():
            return candidate
    return None


class ModelValidator:
    """Amazon's models as JSON schemas: what a response (or an uploaded feed,
    a processing report) must be."""

    @classmethod
    def load(cls, models_dir):
        return load_once(cls, models_dir)

    def __init__(self, models_dir):
        import jsonschema  # noqa: PLC0415 - a test-only dependency

        self._jsonschema = jsonschema
        self.models_dir = pathlib.Path(models_dir)
        self.routes = []  # (method, regex, model, operation)
        for name in MODEL_FILES:
            model = json.loads((self.models_dir / name).read_text(encoding="utf-8"))
            for template, methods in model["paths"].items():
                pattern = re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", template) + "$")
                for method, operation in methods.items():
                    if method in HTTP_METHODS:
                        self.routes.append((method.upper(), pattern, model, operation))
        self.feed_schema = self._load_schema(FEED_SCHEMA)
        self.report_schema = self._load_schema(REPORT_SCHEMA)

    def _load_schema(self, name):
        return json.loads((self.models_dir / name).read_text(encoding="utf-8"))

    def operation_for(self, method, path):
        for route_method, pattern, model, operation in self.routes:
            if route_method == method and pattern.match(path):
                return model, operation
        return None, None

    def _errors(self, schema, instance):
        validator_class = self._jsonschema.validators.validator_for(
            schema, default=self._jsonschema.Draft4Validator
        )
        validator = validator_class(schema)
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
            for error in validator.iter_errors(instance)
        ]

    def response_errors(self, method, path, status, body):
        """Schema violations of one response; [] when valid or not modelled."""
        model, operation = self.operation_for(method, path)
        if operation is None:
            return []
        response = operation["responses"].get(str(status))
        if response is None:
            return [f"status {status} is not a documented response of {operation['operationId']}"]
        schema = response.get("schema")
        if schema is None:
            return [] if not body else [f"{status} must have no body"]
        if body is None:
            body = {}
        if isinstance(body, bytes):
            try:
                body = json.loads(body)
            except ValueError:
                return ["the body is not JSON"]
        return self._errors({**schema, "definitions": model["definitions"]}, body)

    def call_errors(self, call):
        """Schema violations of one recorded emulator call."""
        if call.fault in ("timeout", "drop", "malformed", "corrupted"):
            return []  # deliberately broken answers (corrupted: Order.corruptions)
        if call.operation == "uploadFeedDocument" and isinstance(call.body, bytes):
            if call.body.startswith(b"%PDF-"):
                return []  # an invoice (UPLOAD_VAT_INVOICE): a PDF, no JSON schema
            if b"\t" in call.body.split(b"\n", 1)[0]:
                return []  # a flat file (order cancellations): tab-separated, no schema
            return self._errors(self.feed_schema, json.loads(call.body))
        if call.operation == "downloadDocument" and isinstance(call.response, bytes):
            if call.response[:2] == b"\x1f\x8b":
                return []  # a report document: tab-separated text, no JSON schema
            try:
                document = json.loads(call.response)
            except ValueError:
                return []  # a text processing report (UPLOAD_VAT_INVOICE): no schema
            if isinstance(document, dict) and "summary" in document:
                return self._errors(self.report_schema, document)
            return []
        errors = [
            f"query parameter {name!r} is not in the model (Amazon ignores it)"
            for name in getattr(call, "unknown_params", ())
        ]
        if call.status is None:
            return errors
        return errors + self.response_errors(call.method, call.path, call.status, call.response)

    def check(self, calls):
        """[(call, [errors])] of every non-conforming call (what the router
        found when it answered, else checked now)."""
        problems = []
        for call in calls:
            errors = call.errors if call.errors is not None else self.call_errors(call)
            if errors:
                problems.append((call, errors))
        return problems
