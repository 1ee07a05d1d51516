"""OpenAPI schema: the input constraints as the API enforces them, the error body and the error answers of every
operation (API.md, Conventions; issue 16 §6).

- ``AutoSchema`` (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) reads the constraints from the serializer fields that
  enforce them, so that what the schema calls valid is what the API accepts: a required text that may not be blank
  has a non-space character (DRF trims it), a date is one of the years 1900–2999 (``backoffice.fields``), a list
  that may not be empty has an item; a field whose rule lives in a service (phone numbers, postal codes, months)
  declares it beside the field with ``declare(field, pattern=…)``.
- A postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) keeps the request bodies JSON (API.md:
  "JSON in and out"; the bank statement upload is multipart), adds the ``Error`` component ``{code, detail,
  fields}`` and, on each operation, the error statuses it can answer with. An operation that documents a status
  itself keeps its own description.

Text never contains NUL (U+0000), in a value or a key: every endpoint refuses it with ``invalid`` naming the field
(SEC-3); the schema says so in its description rather than on each of its strings.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

from .errors import ERROR_CODES

#: YYYY-MM-DD of the years 1900–2999 (backoffice.fields.MIN_DATE … MAX_DATE), month and day in range
DATE_PATTERN = r"^(19[0-9]{2}|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
#: a non-space character: DRF trims a text before it refuses a blank one
NOT_BLANK_PATTERN = r"\S"


def declare(field, **schema):
    """``field`` with ``schema`` (OpenAPI keywords: pattern, format, enum, …) merged into its schema: a rule the
    field's service enforces, declared where the field is."""
    # a serializer deep-copies its declared fields by calling their class again, so the schema rides on a subclass
    field.__class__ = type(field.__class__.__name__, (field.__class__,), {"_openapi_extra": schema,
                                                                         "__module__": field.__class__.__module__})
    return field


def _constrained(field, schema: dict) -> dict:
    extra = getattr(field, "_openapi_extra", {})
    if "enum" in extra:  # a narrower set of choices than the field's own enum component
        schema = {k: v for k, v in schema.items() if k not in ("$ref", "allOf", "x-spec-enum-id", "description")}
        schema.setdefault("type", "string")
    if getattr(field, "read_only", False) or "$ref" in schema or "allOf" in schema:
        return {**schema, **extra}
    schema = dict(schema)
    if isinstance(field, serializers.DateField) and schema.get("type") == "string":
        schema.setdefault("pattern", DATE_PATTERN)
    elif (isinstance(field, serializers.CharField) and not isinstance(field, serializers.ChoiceField)
          and not field.allow_blank and schema.get("type") == "string" and "enum" not in schema):
        schema.setdefault("minLength", 1)
        if field.trim_whitespace and "pattern" not in getattr(field, "_openapi_extra", {}):
            schema.setdefault("pattern", NOT_BLANK_PATTERN)
    if isinstance(field, (serializers.ListField, serializers.ListSerializer)) and not field.allow_empty:
        schema.setdefault("minItems", 1)
    schema.update(extra)
    return schema


class AutoSchema(SpectacularAutoSchema):
    def _map_basic_serializer(self, serializer, direction):
        """A serializer's ``openapi_request`` (keywords such as ``anyOf``) states a rule across its fields."""
        schema = super()._map_basic_serializer(serializer, direction)
        extra = getattr(serializer, "openapi_request", None)
        return {**schema, **extra} if extra and direction == "request" else schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        return _constrained(field, schema) if direction == "request" else schema

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
WRITE_METHODS = {"post", "put", "patch", "delete"}

ERROR_COMPONENT = {
    "type": "object",
    "description": "Every error of the API has this body.",
    "required": ["code", "detail", "fields"],
    "properties": {
        "code": {
            "type": "string",
            "enum": list(ERROR_CODES),
            "description": "What went wrong, for programs. `invalid` is plain field validation; the others name "
                           "the rule that refused the request.",
        },
        "detail": {
            "type": "string",
            "description": "The message for people: Japanese by default, English with `Accept-Language: en`.",
        },
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Messages per input field; nested fields are named like `assignments.0.member_number`.",
        },
    },
}

DESCRIPTIONS = {
    "400": "Bad input (`invalid`, naming the fields), or a rule refused it (the rule's code).",
    "401": "No token, a malformed or unknown token, or wrong credentials (`invalid_credentials`).",
    "403": "The operator's role may not do this, or the society is locked (`permission_denied`).",
    "404": "Not found (`not_found`): nothing with this id in the operator's society, or a page past the end.",
    "409": "Conflict with the current state (the rule's code, e.g. `status_same_day`), or `database_busy`: another "
           "operator's transaction held the lock; nothing was changed and the request may be sent again.",
    "413": "The body is larger than the server accepts (`invalid`).",
    "429": "Too many failed sign-ins for this account or from this address (`rate_limited`, SEC-2).",
}

#: statuses an operation answers beyond the ones its method and authentication give (operation id → statuses)
EXTRA_STATUSES = {
    "v1_auth_token_create": ["429"],  # SEC-2 rate limit of the token endpoint
}


def _is_authenticated(operation: dict) -> bool:
    return any(requirement for requirement in operation.get("security", []))


def _statuses(method: str, operation: dict) -> list[str]:
    authenticated = _is_authenticated(operation)
    statuses = ["400", "401"]
    if authenticated:
        statuses += ["403", "404"]
    if method in WRITE_METHODS:
        statuses.append("409")
        if "requestBody" in operation:
            statuses.append("413")
    statuses += EXTRA_STATUSES.get(operation.get("operationId", ""), [])
    return statuses


#: operations whose request body is a file upload (multipart), every other one takes JSON
MULTIPART_OPERATIONS = {"v1_bank_statements_create"}


#: request fields a view requires although its serializer does not say so (operation id → fields): the rename of a
#: billing run is a PATCH of its one field; a statement upload needs its file (the view's own message names it)
REQUIRED_REQUEST_FIELDS = {
    "v1_billing_runs_partial_update": ["name"],
    "v1_bank_statements_create": ["file"],
    "v1_sim_clock_create": [],  # a body with advance_hours or set (its oneOf)
}


def _required_request_fields(result: dict, operation: dict) -> None:
    names = REQUIRED_REQUEST_FIELDS.get(operation.get("operationId", ""))
    if names is None or "requestBody" not in operation:
        return
    for content in operation.get("requestBody", {}).get("content", {}).values():
        ref = content.get("schema", {}).get("$ref", "")
        component = result["components"]["schemas"].get(ref.rsplit("/", 1)[-1]) if ref else content.get("schema")
        if component is not None and names:
            component["required"] = sorted({*component.get("required", []), *names})
    operation["requestBody"]["required"] = True


def _json_request_bodies(operation: dict) -> None:
    content = operation.get("requestBody", {}).get("content")
    if not content:
        return
    keep = "multipart/form-data" if operation.get("operationId") in MULTIPART_OPERATIONS else "application/json"
    if keep in content:
        for media_type in list(content):
            if media_type != keep:
                del content[media_type]


def add_error_responses(result, generator, request, public):
    result.setdefault("info", {})["description"] = (
        result.get("info", {}).get("description", "") + " Text never contains NUL (U+0000), in a value or a key: it "
        "is refused with `invalid` naming the field (SEC-3). Full-width digits and letters are accepted where the "
        "patterns say half-width (NFKC); a `maxLength` counts the text after that folding, which a compatibility "
        "character such as ¼ (1⁄4) lengthens.")
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            _json_request_bodies(operation)
            _required_request_fields(result, operation)
            responses = operation.setdefault("responses", {})
            for status in _statuses(method, operation):
                responses.setdefault(status, {
                    "description": DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                })
    return result
