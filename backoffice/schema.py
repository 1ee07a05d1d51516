"""OpenAPI schema: the error body and the error answers of every operation (API.md, Conventions).

A drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) adds the ``Error``
component ``{code, detail, fields}`` and, on each operation, the error statuses it can answer with. An
operation that documents a status itself keeps its own description.
"""

from __future__ import annotations

from .errors import ERROR_CODES

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


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses(method, operation):
                responses.setdefault(status, {
                    "description": DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                })
    return result
