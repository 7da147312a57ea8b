"""The hub's Tortoise models. Every tenant row carries `org`; `hub.tenancy` filters by it."""

from hub.models.devices import (
    Device,
    DeviceEvent,
    DeviceNonce,
    DeviceState,
    EnrolmentToken,
    EventGate,
    HubIdentity,
)
from hub.models.events import (
    CheckInList,
    Event,
    EventKey,
    EventSession,
    EventStatus,
    GateRuleRow,
    PriceRule,
    PriceRuleKind,
    Ticket,
    TicketKind,
    TicketStatus,
    TicketType,
)
from hub.models.gate_scans import GateAnnulment, GateScan
from hub.models.invitations import Invitation
from hub.models.mail import MailStatus, OutboxMessage
from hub.models.signups import SignupRequest
from hub.models.tenancy import ApiKey, AuditEntry, Membership, Org, Session, User
from hub.models.venues import PriceZone, Seat, SeatingLayout, Section, Venue

MODEL_MODULES = [
    "hub.models.tenancy",
    "hub.models.venues",
    "hub.models.events",
    "hub.models.mail",
    "hub.models.invitations",
    "hub.models.signups",
    "hub.models.gate_scans",
    "hub.models.devices",
]

__all__ = [
    "MODEL_MODULES",
    "ApiKey",
    "AuditEntry",
    "CheckInList",
    "Device",
    "DeviceEvent",
    "DeviceNonce",
    "DeviceState",
    "EnrolmentToken",
    "Event",
    "EventGate",
    "EventKey",
    "EventSession",
    "EventStatus",
    "GateAnnulment",
    "GateRuleRow",
    "GateScan",
    "HubIdentity",
    "Invitation",
    "MailStatus",
    "Membership",
    "Org",
    "OutboxMessage",
    "PriceRule",
    "PriceRuleKind",
    "PriceZone",
    "Seat",
    "SeatingLayout",
    "Section",
    "Session",
    "SignupRequest",
    "Ticket",
    "TicketKind",
    "TicketStatus",
    "TicketType",
    "User",
    "Venue",
]
