"""Errors of the contract package (what hub and gates agree on)."""

from __future__ import annotations


class ContractError(Exception):
    """Base of every error raised by `contract`; `code` is stable and machine-readable."""

    code = "contract_error"


class EventPackageError(ContractError):
    """An event package file cannot be read: not a package, wrong version, or bad content."""

    code = "event_package_invalid"


class GateRuleError(ContractError):
    """A gate rule is not a rule this version can evaluate (unknown operator or variable)."""

    code = "gate_rule_invalid"
