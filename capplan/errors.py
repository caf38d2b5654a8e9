"""Domain errors that carry an HTTP status, a code and per-field reasons; the API turns them into JSON."""
from __future__ import annotations


class ServiceError(Exception):
    """An error a client should see: status, machine code, message, optional per-field reasons."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None, *, status: int | None = None,
                 code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.status = status or self.status
        self.code = code or self.code
        self.headers = headers or {}

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class InvalidRequest(ServiceError):
    """Bad input; ``fields`` names each offending field and why."""

    status = 400
    code = "validation_error"

    @classmethod
    def field(cls, name: str, reason: str) -> "InvalidRequest":
        return cls(f"{name}: {reason}", {name: reason})
