"""Requests checked against Amazon's own API models, before any handler runs.

Amazon publishes each API as a Swagger 2.0 model (``shared/spapi-models``).
Every request the emulator receives for a modelled operation is unmarshalled
parameter by parameter with bravado-core, a maintained Swagger 2.0 library:
required parameters, types, enums, formats (date-time...), array limits
(``maxItems``...), collection formats and the JSON body's schema. A request
outside the model is refused as Amazon refuses it: 400 ``InvalidInput`` whose
details name the parameter.

Parameters the model does not know are not refused (Amazon ignores them) but
reported on the call (``Call.unknown_params``): the conformance check of the
test suites treats them as a defect of the client, since a misspelled filter
that Amazon silently ignores gives wrong results.

The rules no schema can express (written in the operations' descriptions) are
enforced by the handlers in ``server.py``, each citing its sentence.
"""

import json
import pathlib
import re
import warnings
from dataclasses import dataclass

# bravado-core still goes through jsonschema's RefResolver, deprecated since
# jsonschema 4.18 but working: its warnings say nothing about our requests.
for _module in ("bravado_core", "swagger_spec_validator"):
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=_module)

# The models of the operations the emulator serves.
MODEL_FILES = (
    "sellers.json",
    "orders_2026-01-01.json",
    "ordersV0.json",
    "listingsItems_2021-08-01.json",
    "feeds_2021-06-30.json",
    "fbaInventory.json",
    "reports_2021-06-30.json",
    "finances_2024-06-19.json",
    "financesV0.json",
    "financesInvoices_2026-06-25.json",
    "notifications.json",
    "shippingV2.json",
    "fulfillmentOutbound_2020-07-01.json",
)
HTTP_METHODS = ("get", "put", "post", "patch", "delete")
_CACHE = {}


class ContractError(Exception):
    """A request outside the model: ``param`` names what is wrong."""

    def __init__(self, param, message, status=400):
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message
        self.status = status


@dataclass
class _Route:
    method: str
    pattern: re.Pattern
    operation: object  # bravado_core.operation.Operation


class _Request:
    """bravado-core's IncomingRequest interface over what the emulator parsed."""

    def __init__(self, path, query, body, headers):
        self.path = path
        self.query = query
        self.headers = headers
        self.form = {}
        self.files = {}
        self._body = body

    def json(self):
        if isinstance(self._body, bytes | str):
            raise ValueError("the body is not JSON")
        return self._body


def _first_line(error):
    message = getattr(error, "message", None) or str(error)
    return message.strip().splitlines()[0]


def _where(param, error):
    """The parameter, or for a body the path of the field, that is wrong."""
    if param.location != "body":
        return param.name
    parts = [str(p) for p in getattr(error, "absolute_path", ()) or ()]
    if getattr(error, "validator", None) == "required":
        # jsonschema reports a missing property on its parent object.
        missing = re.match(r"'(.+?)' is a required property", getattr(error, "message", ""))
        if missing:
            parts.append(missing.group(1))
    return "/".join(parts) or param.name


def load_once(cls, models_dir):
    """``cls(models_dir)``, parsed once per process, class and directory (the
    models are large; every emulator of a test run shares them)."""
    key = (cls, str(pathlib.Path(models_dir).resolve()))
    if key not in _CACHE:
        _CACHE[key] = cls(models_dir)
    return _CACHE[key]


def _distinct_operation_ids(model):
    """shippingV2.json names two operations ``linkCarrierAccount`` (its PUT and
    POST), which Swagger 2.0 forbids and bravado-core refuses: the later one
    is told apart by its method. No operation the emulator serves changes."""
    seen = set()
    for methods in model["paths"].values():
        for method, raw in methods.items():
            if method in HTTP_METHODS and "operationId" in raw:
                if raw["operationId"] in seen:
                    raw["operationId"] = f"{raw['operationId']}_{method}"
                seen.add(raw["operationId"])


class RequestContract:
    """The modelled operations of one directory of models."""

    def __init__(self, models_dir):
        from bravado_core.spec import Spec  # noqa: PLC0415 - a test/emulator dependency

        self.models_dir = pathlib.Path(models_dir)
        self.routes = []
        config = {
            "validate_requests": True,
            "validate_responses": False,
            "use_models": False,
            "validate_swagger_spec": True,
        }
        for name in MODEL_FILES:
            model = json.loads((self.models_dir / name).read_text(encoding="utf-8"))
            _distinct_operation_ids(model)
            spec = Spec.from_dict(model, config=config)
            operations = {
                op.operation_id: op
                for resource in spec.resources.values()
                for op in resource.operations.values()
            }
            for template, methods in model["paths"].items():
                regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
                for method, raw in methods.items():
                    if method in HTTP_METHODS:
                        operation = operations[raw["operationId"]]
                        self.routes.append(
                            _Route(method.upper(), re.compile(f"^{regex}$"), operation)
                        )

    @classmethod
    def load(cls, models_dir):
        return load_once(cls, models_dir)

    def _route(self, method, path):
        for route in self.routes:
            found = route.pattern.match(path)
            if route.method == method and found:
                return route, found.groupdict()
        return None, None

    def check(self, method, path, query, body, headers=None):
        """Validate one request. ``query``: name -> value (a list when repeated).
        Returns (operationId or None when not modelled, [unknown parameters]);
        raises :class:`ContractError` for a request outside the model."""
        from bravado_core.exception import SwaggerMappingError  # noqa: PLC0415
        from bravado_core.param import unmarshal_param  # noqa: PLC0415
        from jsonschema.exceptions import ValidationError  # noqa: PLC0415

        route, path_params = self._route(method, path)
        if route is None:
            return None, []
        operation = route.operation
        headers = {key.lower(): value for key, value in (headers or {}).items()}
        request = _Request(path_params, query, body, headers)
        has_body = any(p.location == "body" for p in operation.params.values())
        # Where the operation documents a 415 ("The request's Content-Type header is
        # invalid"), a JSON body sent as anything else is refused so.
        if (
            has_body
            and "415" in operation.op_spec.get("responses", {})
            and "json" not in headers.get("content-type", "")
        ):
            raise ContractError(
                "Content-Type", "The request's Content-Type header is invalid.", status=415
            )
        for param in operation.params.values():
            location = param.location
            if location == "body" and body in (None, b"", ""):
                if param.required:
                    raise ContractError(param.name, "the request body is required")
                continue
            try:
                unmarshal_param(param, request)
            except (ValidationError, SwaggerMappingError, ValueError, TypeError) as error:
                raise ContractError(_where(param, error), _first_line(error)) from None
        known = {p.name for p in operation.params.values() if p.location == "query"}
        unknown = sorted(set(query) - known)
        return operation.operation_id, unknown
