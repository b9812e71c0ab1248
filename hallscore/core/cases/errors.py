"""Why a command on a case is refused. The service maps each to an HTTP status."""
from __future__ import annotations


class DomainError(ValueError):
    """A refused command; `reason` is for the user (Chinese + English)."""

    status = 409

    def __init__(self, reason: str, *, field: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.field = field


class IllegalTransition(DomainError):
    """The case's state does not allow this action now (e.g. verify twice)."""

    status = 409


class MissingEvidence(DomainError):
    """Evidence, a reason or a required field is missing from the command."""

    status = 422


class InvalidCommand(DomainError):
    """A field has a value the rules refuse (unknown milestone, bad date...)."""

    status = 422


class NotPermitted(DomainError):
    """This role may not take this action (a unit cannot verify)."""

    status = 403
