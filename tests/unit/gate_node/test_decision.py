"""decision: what the door steward sees when a code is scanned. Pure, so `now` is passed in.

The event runs in Johannesburg (UTC+2, no daylight saving); moments are written as local
wall-clock times and handed to the decision in UTC, so every local-date and local-time
answer below proves the decision converts to the event's timezone.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
import zoneinfo
from collections.abc import Iterable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract import base43
from contract.reasons import REASONS, Reason
from contract.ticket_token import SigningKey, TicketClaims, sign_token, verify_keys
from gate_node.decision import (
    Decision,
    Direction,
    DoorWindow,
    EventContext,
    GateRule,
    Passage,
    TicketFacts,
    TicketTypeRules,
    check_code,
    decide_scan,
    door_window,
)

SAST = zoneinfo.ZoneInfo("Africa/Johannesburg")
GATES = ("North", "South", "VIP")
DIRECTIONS: tuple[Direction, ...] = ("in", "out")
CODE_REASONS = frozenset({"invalid", "forged", "wrong_event"})

# Real keys, generated once per run: module constants (not fixtures) so that hypothesis
# tests can share them; nothing below depends on their values.
KEY_1 = SigningKey.generate(1)
KEY_2 = SigningKey.generate(2)
KEY_7 = SigningKey.generate(7)
ROGUE_1 = SigningKey.generate(1)  # claims key id 1 but is not the event's key 1
OTHER_EVENTS_KEY_1 = SigningKey.generate(1)
EVENT_KEYS = {1: KEY_1, 2: KEY_2}

EVENT_ID = uuid.UUID("5a1f6a52-8c1e-4b55-9a4e-2f0d9a5e7c11")
OTHER_EVENT_ID = uuid.UUID("9e8d7c6b-5a49-4837-8261-5f4e3d2c1b0a")
TICKET_ID = uuid.UUID("0b7e1f4c-3d2a-4e8f-8c6b-1a2b3c4d5e6f")
UNKNOWN_TYPE_ID = uuid.UUID("deadbeef-0000-4000-8000-000000000000")

GENERAL = TicketTypeRules(uuid.UUID("10000000-0000-4000-8000-000000000001"), "General")
SEATED = TicketTypeRules(uuid.UUID("10000000-0000-4000-8000-000000000002"), "Seated", reentry=False)
WEEKEND = TicketTypeRules(
    uuid.UUID("10000000-0000-4000-8000-000000000003"),
    "Weekend pass",
    entry_mode="multi",
    max_entries=3,
)
CREW = TicketTypeRules(uuid.UUID("10000000-0000-4000-8000-000000000004"), "Crew", "multi")
VIP = TicketTypeRules(
    uuid.UUID("10000000-0000-4000-8000-000000000005"), "VIP", gates=frozenset({"VIP"})
)
MULTI_ID = uuid.UUID("10000000-0000-4000-8000-000000000006")  # max_entries set per test
ALL_TYPES = (GENERAL, SEATED, WEEKEND, CREW, VIP)


def local(hour: int, minute: int = 0, *, day: int = 1) -> dt.datetime:
    """Johannesburg wall-clock time on `day` March 2025 (a Saturday for day 1), in UTC."""
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=SAST).astimezone(dt.UTC)


DOORS = local(18)


def make_event(
    *,
    types: Iterable[TicketTypeRules] = ALL_TYPES,
    rules: Iterable[GateRule] = (),
    keys: Iterable[SigningKey] = (KEY_1, KEY_2),
    door: DoorWindow | None = None,
) -> EventContext:
    """The gate's in-memory view of the event, with real Ed25519 verifiers."""
    return EventContext(
        event_id=EVENT_ID,
        timezone=SAST,
        keys=verify_keys({key.key_id: key.public_key for key in keys}),
        ticket_types={t.id: t for t in types},
        rules=tuple(rules),
        door=door,
    )


EVENT = make_event()


def make_claims(
    type_id: uuid.UUID = GENERAL.id,
    *,
    key_id: int = 1,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    event_id: uuid.UUID = EVENT_ID,
) -> TicketClaims:
    return TicketClaims(event_id, TICKET_ID, type_id, key_id, valid_from, valid_until)


def ticket(
    type_id: uuid.UUID = GENERAL.id,
    *,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
) -> TicketClaims:
    """Claims as `decide_scan` gets them: signed by the event, scanned, verified."""
    claims = make_claims(type_id, valid_from=valid_from, valid_until=valid_until)
    checked = check_code(sign_token(claims, KEY_1), EVENT)
    assert checked == claims
    assert isinstance(checked, TicketClaims)
    return checked


def facts(
    *history: Passage,
    ticket_type_id: uuid.UUID | None = None,
    revoked: str | None = None,
    blocked: str | None = None,
) -> TicketFacts:
    """A ticket the replica knows, with these accepted scans (oldest first)."""
    return TicketFacts(
        ticket_type_id=ticket_type_id, revoked=revoked, blocked=blocked, history=history
    )


def admitted(gate: str, at: dt.datetime) -> Passage:
    return Passage("in", gate, at)


def left(gate: str, at: dt.datetime) -> Passage:
    return Passage("out", gate, at)


def scan(
    claims: TicketClaims,
    known: TicketFacts | None = None,
    *,
    direction: Direction = "in",
    gate: str = "North",
    event: EventContext = EVENT,
    now: dt.datetime = DOORS,
) -> Decision:
    return decide_scan(
        claims,
        facts() if known is None else known,
        direction=direction,
        gate=gate,
        event=event,
        now=now,
    )


def assert_rejected(decision: Decision, reason: Reason, *words: str) -> None:
    assert decision.status == "rejected", decision
    assert decision.reason == reason, decision
    for word in words:
        assert word in decision.message, decision


def assert_admitted(decision: Decision, message: str | None = None) -> None:
    assert decision.status == "ok", decision
    assert decision.reason is None
    if message is not None:
        assert decision.message == message


# --- check_code: is this one of our tickets? ---------------------------------------------


@pytest.mark.parametrize(
    "code",
    ["", "hello", "VG1:", "VG1:!!!", "https://example.com/t/123", "vg1:" + "0" * 173, "\x00"],
)
def test_garbage_code_is_not_a_ticket(code: str) -> None:
    result = check_code(code, EVENT)
    assert isinstance(result, Decision)
    assert_rejected(result, "invalid")


def test_ticket_for_another_event_says_wrong_event() -> None:
    claims = make_claims(event_id=OTHER_EVENT_ID)
    result = check_code(sign_token(claims, OTHER_EVENTS_KEY_1), EVENT)
    assert isinstance(result, Decision)
    assert_rejected(result, "wrong_event", "different event")


def test_ticket_signed_with_a_key_id_the_event_does_not_know_is_forged() -> None:
    result = check_code(sign_token(make_claims(key_id=7), KEY_7), EVENT)
    assert isinstance(result, Decision)
    assert_rejected(result, "forged", "does not know")


def test_ticket_signed_by_a_rogue_key_with_the_right_key_id_is_forged() -> None:
    result = check_code(sign_token(make_claims(key_id=1), ROGUE_1), EVENT)
    assert isinstance(result, Decision)
    assert_rejected(result, "forged", "signature does not match")


@pytest.mark.parametrize("key", [KEY_1, KEY_2], ids=["key 1", "key 2"])
def test_during_key_rotation_tickets_of_both_keys_are_accepted(key: SigningKey) -> None:
    claims = make_claims(key_id=key.key_id)
    assert check_code(sign_token(claims, key), EVENT) == claims


def test_after_key_1_is_retired_its_tickets_are_forged() -> None:
    event = make_event(keys=[KEY_2])
    result = check_code(sign_token(make_claims(key_id=1), KEY_1), event)
    assert isinstance(result, Decision)
    assert_rejected(result, "forged")


def test_genuine_ticket_gives_its_claims_with_the_validity_window() -> None:
    claims = make_claims(VIP.id, key_id=2, valid_from=local(16), valid_until=local(2, day=2))
    assert check_code(sign_token(claims, KEY_2), EVENT) == claims


# --- decide_scan, entries: the happy path and the ticket's own state ----------------------


def test_first_scan_admits() -> None:
    decision = scan(ticket())
    assert_admitted(decision, "Admitted.")
    assert decision.first_admitted is None


def test_refunded_ticket_is_turned_away_with_the_reason() -> None:
    assert_rejected(scan(ticket(), facts(revoked="refunded")), "revoked", "refunded")


def test_blocked_ticket_is_turned_away_with_the_reason() -> None:
    assert_rejected(scan(ticket(), facts(blocked="reported stolen")), "blocked", "reported stolen")


def test_unknown_ticket_type_is_not_valid_at_these_gates() -> None:
    assert_rejected(scan(ticket(UNKNOWN_TYPE_ID)), "product")


# --- validity windows ---------------------------------------------------------------------


def test_before_the_tokens_window_says_not_valid_yet_in_local_time() -> None:
    decision = scan(ticket(valid_from=local(18)), now=local(17, 30))
    assert_rejected(decision, "invalid_time", "Not valid yet", "18:00")


def test_not_valid_yet_names_the_date_when_it_is_another_day() -> None:
    decision = scan(ticket(valid_from=local(18, day=2)), now=local(17, 30))
    assert_rejected(decision, "invalid_time", "Not valid yet", "2025-03-02 18:00")


def test_after_the_tokens_window_is_no_longer_valid() -> None:
    decision = scan(ticket(valid_until=local(23)), now=local(23, 1))
    assert_rejected(decision, "invalid_time", "No longer valid", "23:00")


def test_window_bounds_are_inclusive() -> None:
    claims = ticket(valid_from=local(18), valid_until=local(23))
    assert_admitted(scan(claims, now=local(18)))
    assert_admitted(scan(claims, now=local(23)))


def test_ticket_types_window_narrower_than_the_tokens_wins() -> None:
    general = TicketTypeRules(GENERAL.id, "General", valid_from=local(19), valid_until=local(22))
    event = make_event(types=[general])
    claims = ticket(valid_from=local(17), valid_until=local(23))
    assert_rejected(scan(claims, event=event, now=local(18)), "invalid_time", "19:00")
    assert_admitted(scan(claims, event=event, now=local(20)))
    assert_rejected(scan(claims, event=event, now=local(22, 30)), "invalid_time", "22:00")


def test_tokens_window_narrower_than_the_ticket_types_wins() -> None:
    general = TicketTypeRules(GENERAL.id, "General", valid_from=local(12), valid_until=local(23))
    event = make_event(types=[general])
    claims = ticket(valid_from=local(18), valid_until=local(20))
    assert_rejected(scan(claims, event=event, now=local(17)), "invalid_time", "18:00")
    assert_admitted(scan(claims, event=event, now=local(19)))
    assert_rejected(scan(claims, event=event, now=local(21)), "invalid_time", "20:00")


# --- the event's door window --------------------------------------------------------------

# The show starts 19:00 on 1 March and ends 23:00; doors open two hours before.
SHOW = (local(19), local(23))


def doors(policy: str, opens_minutes: int = 120) -> EventContext:
    window = door_window(*SHOW, opens_minutes, policy)  # type: ignore[arg-type]
    return make_event(door=window)


def test_door_window_opens_its_minutes_before_the_first_date_and_closes_at_the_last_end() -> None:
    assert door_window(*SHOW, 120, "reject") == DoorWindow(local(17), local(23), "reject")
    assert door_window(*SHOW, 0, "warn") == DoorWindow(local(19), local(23), "warn")


def test_no_door_window_when_the_policy_is_off_or_the_event_has_no_dates() -> None:
    assert door_window(*SHOW, 120, "off") is None
    assert door_window(None, None, 120, "reject") is None


@pytest.mark.parametrize("policy", ["warn", "reject"])
def test_inside_the_door_window_admits_without_a_warning(policy: str) -> None:
    for now in (local(17), local(20), local(23)):  # both bounds belong to the window
        decision = scan(ticket(), event=doors(policy), now=now)
        assert_admitted(decision, "Admitted.")
        assert decision.warning is None


def test_reject_policy_turns_away_a_second_before_the_doors_open() -> None:
    decision = scan(ticket(), event=doors("reject"), now=local(17) - dt.timedelta(seconds=1))
    assert_rejected(decision, "invalid_time", "Too early: doors open 17:00:00 SAST.")


def test_reject_policy_turns_away_a_second_after_the_last_date_ends() -> None:
    decision = scan(ticket(), event=doors("reject"), now=local(23) + dt.timedelta(seconds=1))
    assert_rejected(decision, "invalid_time", "The event is over: it ended 23:00:00 SAST.")


def test_a_ticket_for_a_date_months_away_names_the_date() -> None:
    decision = scan(ticket(), event=doors("reject"), now=local(20, day=1) - dt.timedelta(days=90))
    assert decision.message == "Ticket for another date: doors open 2025-03-01 17:00 SAST."
    assert_rejected(decision, "invalid_time")


def test_the_day_after_names_the_date_the_event_ended() -> None:
    decision = scan(ticket(), event=doors("reject"), now=local(10, day=2))
    assert_rejected(decision, "invalid_time", "it ended 2025-03-01 23:00 SAST")


def test_warn_policy_admits_outside_the_window_with_a_visible_warning() -> None:
    early = scan(ticket(), event=doors("warn"), now=local(12) - dt.timedelta(days=90))
    assert_admitted(early, "Admitted. Ticket for another date: doors open 2025-03-01 17:00 SAST.")
    assert early.warning == "outside_door_window"
    late = scan(ticket(), event=doors("warn"), now=local(23, 30))
    assert_admitted(late, "Admitted. The event is over: it ended 23:00:00 SAST.")
    assert late.warning == "outside_door_window"


def test_warn_policy_warns_on_a_re_entry_too() -> None:
    history = facts(admitted("North", local(20)), left("North", local(21)))
    decision = scan(ticket(), history, event=doors("warn"), now=local(23, 30))
    assert decision.message.startswith("Admitted (re-entry). The event is over")
    assert decision.warning == "outside_door_window"


def test_a_rejection_for_another_reason_carries_no_door_warning() -> None:
    history = facts(admitted("North", local(20)))
    decision = scan(ticket(), history, event=doors("warn"), now=local(23, 30))
    assert_rejected(decision, "already_scanned")
    assert decision.warning is None


def test_the_tickets_own_start_replaces_the_doors_opening() -> None:
    # Early entry for this ticket from 16:00: an hour before the doors open for everyone.
    early = ticket(valid_from=local(16))
    decision = scan(early, event=doors("reject"), now=local(16, 30))
    assert_admitted(decision, "Admitted.")
    # Its own start still holds, and the door's end still applies to it.
    assert_rejected(scan(early, event=doors("reject"), now=local(15)), "invalid_time", "16:00")
    assert_rejected(scan(early, event=doors("reject"), now=local(23, 5)), "invalid_time", "over")


def test_the_ticket_types_own_end_replaces_the_doors_closing() -> None:
    late_bar = TicketTypeRules(GENERAL.id, "General", valid_until=local(2, day=2))
    event = make_event(types=[late_bar], door=door_window(*SHOW, 120, "reject"))
    assert_admitted(scan(ticket(), event=event, now=local(1, day=2)))
    assert_rejected(scan(ticket(), event=event, now=local(16)), "invalid_time", "Too early")


def test_anyone_may_leave_outside_the_door_window() -> None:
    decision = scan(ticket(), direction="out", event=doors("reject"), now=local(10, day=5))
    assert_admitted(decision)
    assert decision.warning is None


def test_revoked_beats_the_door_window_and_the_door_window_beats_the_wrong_gate() -> None:
    event = doors("reject")
    assert_rejected(scan(ticket(), facts(revoked="refunded"), event=event, now=local(9)), "revoked")
    assert_rejected(scan(ticket(VIP.id), gate="North", event=event, now=local(9)), "invalid_time")


# --- gates --------------------------------------------------------------------------------


def test_vip_ticket_at_another_gate_is_sent_to_its_own_gate() -> None:
    assert_rejected(scan(ticket(VIP.id), gate="North"), "product", "VIP", "North")


def test_vip_ticket_at_its_own_gate_admits() -> None:
    assert_admitted(scan(ticket(VIP.id), gate="VIP"), "Admitted.")


# --- single entry -------------------------------------------------------------------------


def test_second_entry_while_inside_says_where_and_when_first_admitted() -> None:
    first = admitted("North", local(18, 5))
    decision = scan(ticket(), facts(first), gate="South", now=local(18, 30))
    assert_rejected(decision, "already_scanned", "North", "18:05")
    assert decision.first_admitted == first


def test_already_admitted_yesterday_names_the_date() -> None:
    first = admitted("North", local(23, 30))
    decision = scan(ticket(), facts(first), now=local(0, 30, day=2))
    assert_rejected(decision, "already_scanned", "North", "2025-03-01 23:30")


def test_re_entry_after_an_exit_admits() -> None:
    first = admitted("North", local(18, 5))
    history = facts(first, left("North", local(19)))
    decision = scan(ticket(), history, gate="South", now=local(19, 30))
    assert_admitted(decision, "Admitted (re-entry).")
    assert decision.first_admitted == first


def test_inside_again_after_re_entry_names_the_latest_admission() -> None:
    first = admitted("North", local(18, 5))
    history = facts(first, left("North", local(19)), admitted("South", local(19, 30)))
    decision = scan(ticket(), history, gate="North", now=local(20))
    assert_rejected(decision, "already_scanned", "South", "19:30")
    assert decision.first_admitted == first


def test_no_re_entry_ticket_is_refused_after_an_exit() -> None:
    history = facts(admitted("North", local(18, 5)), left("North", local(19)))
    decision = scan(ticket(SEATED.id), history, now=local(19, 30))
    assert_rejected(decision, "already_scanned", "No re-entry", "North", "18:05")


def test_no_re_entry_ticket_still_inside_says_already_admitted() -> None:
    decision = scan(ticket(SEATED.id), facts(admitted("South", local(18, 5))), now=local(19))
    assert_rejected(decision, "already_scanned", "Already admitted", "South")


def test_exit_without_ever_entering_does_not_use_up_a_no_re_entry_ticket() -> None:
    decision = scan(ticket(SEATED.id), facts(left("North", local(17))), now=local(18))
    assert_admitted(decision, "Admitted.")


# --- multi entry --------------------------------------------------------------------------


def test_multi_entry_ticket_enters_again_without_exit_scans() -> None:
    history = facts(*(admitted("North", local(h)) for h in (10, 12, 14)))
    assert_admitted(scan(ticket(CREW.id), history, now=local(16)), "Admitted (re-entry).")


def test_multi_entry_ticket_counts_its_entries() -> None:
    history = facts(admitted("North", local(10)), admitted("South", local(12)))
    decision = scan(ticket(WEEKEND.id), history, now=local(14))
    assert_admitted(decision, "Admitted (entry 3 of 3).")


def test_multi_entry_ticket_with_all_entries_used_is_refused() -> None:
    history = facts(*(admitted("North", local(h)) for h in (10, 12, 14)))
    decision = scan(ticket(WEEKEND.id), history, now=local(16))
    assert_rejected(decision, "already_scanned", "All 3 entries used")
    assert decision.first_admitted == admitted("North", local(10))


def test_exits_do_not_give_entries_back() -> None:
    history = facts(
        *itertools.chain.from_iterable(
            (admitted("North", local(h)), left("North", local(h, 30))) for h in (10, 12, 14)
        )
    )
    assert_rejected(scan(ticket(WEEKEND.id), history, now=local(16)), "already_scanned")


# --- the replica's ticket type overrides the token's --------------------------------------


def test_ticket_changed_to_vip_in_the_replica_must_use_the_vip_gate() -> None:
    known = facts(ticket_type_id=VIP.id)
    assert_rejected(scan(ticket(GENERAL.id), known, gate="North"), "product", "VIP")
    assert_admitted(scan(ticket(GENERAL.id), known, gate="VIP"))


def test_ticket_changed_to_general_in_the_replica_may_use_any_gate() -> None:
    assert_admitted(scan(ticket(VIP.id), facts(ticket_type_id=GENERAL.id), gate="North"))


def test_token_of_an_unknown_type_is_admitted_under_the_replicas_type() -> None:
    assert_admitted(scan(ticket(UNKNOWN_TYPE_ID), facts(ticket_type_id=GENERAL.id)))


def test_replicas_type_decides_single_or_multi_entry() -> None:
    history = facts(admitted("North", local(10)), ticket_type_id=CREW.id)
    assert_admitted(scan(ticket(GENERAL.id), history, now=local(12)))


# --- gate rules ---------------------------------------------------------------------------

CLOSED = GateRule(False, "Doors are closed.")


def test_failing_rule_refuses_with_its_description() -> None:
    event = make_event(rules=[CLOSED])
    decision = scan(ticket(), event=event)
    assert_rejected(decision, "rules")
    assert decision.message == "Doors are closed."


def test_rule_without_a_description_still_says_a_rule_refused() -> None:
    decision = scan(ticket(), event=make_event(rules=[GateRule(False, "")]))
    assert_rejected(decision, "rules", "rule refused")


def test_first_failing_rule_gives_the_message() -> None:
    event = make_event(rules=[GateRule(True, "fine"), CLOSED, GateRule(False, "Later rule.")])
    assert scan(ticket(), event=event).message == "Doors are closed."


def test_rule_scoped_to_a_ticket_type_applies_only_to_that_type() -> None:
    event = make_event(rules=[GateRule(False, "VIP entry is closed.", ticket_type_id=VIP.id)])
    assert_rejected(scan(ticket(VIP.id), gate="VIP", event=event), "rules", "VIP entry")
    assert_admitted(scan(ticket(GENERAL.id), gate="VIP", event=event))


def test_rule_scoped_to_a_type_follows_the_replicas_type() -> None:
    event = make_event(rules=[GateRule(False, "Crew use the back gate.", ticket_type_id=CREW.id)])
    known = facts(ticket_type_id=CREW.id)
    assert_rejected(scan(ticket(GENERAL.id), known, event=event), "rules", "back gate")


def test_rule_scoped_to_a_gate_applies_only_at_that_gate() -> None:
    event = make_event(rules=[GateRule(False, "South gate is closed.", gate="South")])
    assert_rejected(scan(ticket(), gate="South", event=event), "rules", "South gate")
    assert_admitted(scan(ticket(), gate="North", event=event))


def test_rule_scoped_to_type_and_gate_needs_both() -> None:
    rule = GateRule(False, "No crew at North.", ticket_type_id=CREW.id, gate="North")
    event = make_event(rules=[rule])
    assert_rejected(scan(ticket(CREW.id), gate="North", event=event), "rules")
    assert_admitted(scan(ticket(CREW.id), gate="South", event=event))
    assert_admitted(scan(ticket(GENERAL.id), gate="North", event=event))


ONCE_A_DAY = GateRule({"<": [{"var": "entries_today"}, 1]}, "One entry a day.")


def test_once_a_day_admits_again_after_local_midnight() -> None:
    # 23:30 and 00:30 local are the same UTC date (21:30Z and 22:30Z).
    history = facts(admitted("North", local(23, 30)))
    decision = scan(
        ticket(CREW.id), history, event=make_event(rules=[ONCE_A_DAY]), now=local(0, 30, day=2)
    )
    assert_admitted(decision)


def test_once_a_day_refuses_twice_on_one_local_date() -> None:
    # 01:30 and 02:30 local are on different UTC dates (23:30Z and 00:30Z).
    history = facts(admitted("North", local(1, 30, day=2)))
    decision = scan(
        ticket(CREW.id), history, event=make_event(rules=[ONCE_A_DAY]), now=local(2, 30, day=2)
    )
    assert_rejected(decision, "rules", "One entry a day.")


EVENING = GateRule({"<=": ["18:00", {"var": "local_time"}, "23:00"]}, "Entry 18:00 to 23:00.")


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (local(17, 59), False),
        (local(18), True),
        (local(18, 30), True),
        (local(23), True),
        (local(23, 1), False),
        (local(12), False),
    ],
)
def test_local_time_rule_uses_the_events_clock(now: dt.datetime, allowed: bool) -> None:
    decision = scan(ticket(), event=make_event(rules=[EVENING]), now=now)
    assert decision.status == ("ok" if allowed else "rejected")
    assert decision.reason == (None if allowed else "rules")


NO_PASS_BACK = GateRule(
    {"or": [{"==": [{"var": "entries"}, 0]}, {">=": [{"var": "minutes_since_last_entry"}, 30]}]},
    "No pass-back within 30 minutes.",
)


def test_pass_back_rule_uses_minutes_since_the_last_admission() -> None:
    event = make_event(rules=[NO_PASS_BACK])
    history = facts(admitted("North", local(17)), admitted("North", local(18)))
    assert_admitted(scan(ticket(CREW.id), event=event))
    assert_rejected(scan(ticket(CREW.id), history, event=event, now=local(18, 29)), "rules")
    assert_admitted(scan(ticket(CREW.id), history, event=event, now=local(18, 30)))


def test_gate_rule_sees_the_gate_name() -> None:
    event = make_event(rules=[GateRule({"in": [{"var": "gate"}, ["North"]]}, "North only.")])
    assert_admitted(scan(ticket(), gate="North", event=event))
    assert_rejected(scan(ticket(), gate="South", event=event), "rules", "North only.")


# --- exits --------------------------------------------------------------------------------

EXIT_ANYWAY = [
    pytest.param(ticket(), facts(revoked="refunded"), id="revoked"),
    pytest.param(ticket(), facts(blocked="reported stolen"), id="blocked"),
    pytest.param(ticket(UNKNOWN_TYPE_ID), facts(), id="unknown type"),
    pytest.param(ticket(valid_until=local(12)), facts(), id="expired"),
    pytest.param(ticket(valid_from=local(20, day=2)), facts(), id="not valid yet"),
    pytest.param(ticket(VIP.id), facts(), id="VIP at North"),
    pytest.param(
        ticket(SEATED.id),
        facts(admitted("North", local(17)), left("North", local(17, 30))),
        id="no re-entry, already out",
    ),
    pytest.param(
        ticket(WEEKEND.id),
        facts(*(admitted("North", local(h)) for h in (9, 10, 11))),
        id="all entries used",
    ),
]


@pytest.mark.parametrize(("claims", "known"), EXIT_ANYWAY)
def test_genuine_ticket_may_always_leave(claims: TicketClaims, known: TicketFacts) -> None:
    event = make_event(rules=[CLOSED])
    decision = scan(claims, known, direction="out", gate="North", event=event)
    assert decision.status == "ok"
    assert decision.reason is None


def test_exit_of_someone_inside_is_recorded() -> None:
    decision = scan(ticket(), facts(admitted("North", local(17))), direction="out")
    assert decision.message == "Exit recorded."


@pytest.mark.parametrize(
    "history",
    [(), (left("North", local(16)),), (admitted("North", local(16)), left("South", local(17)))],
    ids=["never entered", "only exits", "already left"],
)
def test_exit_of_someone_not_inside_says_so(history: tuple[Passage, ...]) -> None:
    decision = scan(ticket(), facts(*history), direction="out")
    assert_admitted(decision)
    assert "was not inside" in decision.message


def test_exit_reports_the_first_admission() -> None:
    first = admitted("North", local(16))
    history = facts(first, left("North", local(17)), admitted("South", local(17, 30)))
    decision = scan(ticket(), history, direction="out")
    assert decision.first_admitted == first


# --- precedence: which problem the steward is told about first ---------------------------

# From the most to the least important, as decision.py checks them.
LADDER: tuple[Reason, ...] = (
    "revoked",
    "blocked",
    "invalid_time",
    "product",
    "already_scanned",
    "rules",
)


def scan_with_problems(problems: Iterable[Reason], direction: Direction = "in") -> Decision:
    """A VIP-or-general ticket at North at 19:00 local with exactly these problems."""
    present = set(problems)
    claims = ticket(
        VIP.id if "product" in present else GENERAL.id,
        valid_from=local(20) if "invalid_time" in present else None,
    )
    known = facts(
        *([admitted("VIP", local(18, 5))] if "already_scanned" in present else []),
        revoked="refunded" if "revoked" in present else None,
        blocked="reported stolen" if "blocked" in present else None,
    )
    event = make_event(rules=[CLOSED] if "rules" in present else [])
    return scan(known=known, claims=claims, direction=direction, event=event, now=local(19))


def test_a_ticket_without_problems_is_admitted() -> None:
    assert_admitted(scan_with_problems([]))


@pytest.mark.parametrize("problem", LADDER)
def test_each_problem_alone_gives_its_reason(problem: Reason) -> None:
    assert scan_with_problems([problem]).reason == problem


@pytest.mark.parametrize("top", range(len(LADDER)), ids=LADDER)
def test_the_most_important_problem_is_reported(top: int) -> None:
    assert scan_with_problems(LADDER[top:]).reason == LADDER[top]


@pytest.mark.parametrize(
    ("higher", "lower"),
    list(itertools.combinations(LADDER, 2)),
    ids=[f"{h} over {low}" for h, low in itertools.combinations(LADDER, 2)],
)
def test_each_pair_of_problems_reports_the_higher(higher: Reason, lower: Reason) -> None:
    assert scan_with_problems([higher, lower]).reason == higher


def test_exit_beats_every_problem() -> None:
    assert_admitted(scan_with_problems(LADDER, direction="out"))


def test_revoked_beats_already_scanned_and_keeps_the_first_admission() -> None:
    first = admitted("North", local(18))
    decision = scan(ticket(), facts(first, revoked="refunded"), now=local(19))
    assert_rejected(decision, "revoked")
    assert decision.first_admitted == first


def test_blocked_beats_an_unknown_ticket_type() -> None:
    assert_rejected(scan(ticket(UNKNOWN_TYPE_ID), facts(blocked="lost")), "blocked")


def test_unknown_ticket_type_beats_the_tokens_window() -> None:
    claims = ticket(UNKNOWN_TYPE_ID, valid_from=local(20))
    assert_rejected(scan(claims, now=local(19)), "product")


# --- properties ---------------------------------------------------------------------------

scan_requests = st.lists(
    st.tuples(st.sampled_from(DIRECTIONS), st.sampled_from(GATES), st.integers(1, 4 * 3600)),
    max_size=40,
)


def replay(
    claims: TicketClaims,
    requests: Sequence[tuple[Direction, str, int]],
    event: EventContext,
) -> tuple[list[tuple[Direction, Decision]], tuple[Passage, ...]]:
    """Scan the requests in order, as a gate does: each accepted scan joins the history."""
    history: tuple[Passage, ...] = ()
    now = local(17)
    decisions: list[tuple[Direction, Decision]] = []
    for direction, gate, gap in requests:
        now += dt.timedelta(seconds=gap)
        decision = decide_scan(
            claims, facts(*history), direction=direction, gate=gate, event=event, now=now
        )
        decisions.append((direction, decision))
        if decision.status == "ok":
            history = (*history, Passage(direction, gate, now))
    return decisions, history


GENERAL_CLAIMS = ticket(GENERAL.id)
MULTI_CLAIMS = ticket(MULTI_ID)


@settings(max_examples=200, deadline=None)
@given(scan_requests)
def test_single_entry_ticket_never_admits_twice_without_an_exit(
    requests: list[tuple[Direction, str, int]],
) -> None:
    decisions, history = replay(GENERAL_CLAIMS, requests, EVENT)

    for before, after in itertools.pairwise(history):
        assert (before.direction, after.direction) != ("in", "in"), history
    # And nobody outside is turned away: an entry is refused exactly when already inside.
    inside = False
    for direction, decision in decisions:
        if direction == "out":
            assert decision.status == "ok"
            inside = False
        else:
            assert decision.status == ("rejected" if inside else "ok"), decision
            inside = True


@settings(max_examples=200, deadline=None)
@given(max_entries=st.integers(1, 6), requests=scan_requests)
def test_multi_entry_ticket_never_exceeds_its_entries(
    max_entries: int, requests: list[tuple[Direction, str, int]]
) -> None:
    pass_type = TicketTypeRules(MULTI_ID, "Day pass", "multi", max_entries=max_entries)
    decisions, history = replay(MULTI_CLAIMS, requests, make_event(types=[pass_type]))

    accepted = sum(1 for p in history if p.direction == "in")
    asked = sum(1 for direction, _, _ in requests if direction == "in")
    assert accepted <= max_entries
    assert accepted == min(asked, max_entries)
    for _, decision in decisions:
        if decision.status == "rejected":
            assert decision.reason == "already_scanned"
            assert decision.message == f"All {max_entries} entries used."


SITUATION_CLAIMS = [
    ticket(GENERAL.id),
    ticket(GENERAL.id, valid_from=local(18), valid_until=local(23)),
    ticket(SEATED.id),
    ticket(WEEKEND.id),
    ticket(CREW.id, valid_until=local(6, day=2)),
    ticket(VIP.id),
    ticket(UNKNOWN_TYPE_ID),
]
RULE_POOL = [
    CLOSED,
    ONCE_A_DAY,
    EVENING,
    NO_PASS_BACK,
    GateRule(True, "Always."),
    GateRule({">=": [{"var": "weekday"}, 6]}, "Weekends only.", gate="South"),
    GateRule({"<": [{"var": "entries"}, 2]}, "Two entries.", ticket_type_id=CREW.id),
]
reasons_text = st.none() | st.sampled_from(["refunded", "chargeback", "lost"])
DOOR_POOL = [
    DoorWindow(local(17), local(23), "reject"),
    DoorWindow(local(17), local(23), "warn"),
    DoorWindow(local(17), None, "reject"),
    DoorWindow(local(10, day=2), local(23, day=2), "warn"),
]
moments = st.integers(0, 48 * 3600).map(lambda s: local(12) + dt.timedelta(seconds=s))


@st.composite
def histories(draw: st.DrawFn) -> tuple[Passage, ...]:
    steps = draw(
        st.lists(
            st.tuples(st.sampled_from(DIRECTIONS), st.sampled_from(GATES), moments), max_size=8
        )
    )
    return tuple(Passage(d, g, at) for d, g, at in sorted(steps, key=lambda s: s[2]))


@settings(max_examples=200, deadline=None)
@given(
    claims=st.sampled_from(SITUATION_CLAIMS),
    history=histories(),
    revoked=reasons_text,
    blocked=reasons_text,
    replica_type=st.none() | st.sampled_from([*(t.id for t in ALL_TYPES), UNKNOWN_TYPE_ID]),
    direction=st.sampled_from(DIRECTIONS),
    gate=st.sampled_from(GATES),
    now=moments,
    rules=st.lists(st.sampled_from(RULE_POOL), max_size=3),
    door=st.none() | st.sampled_from(DOOR_POOL),
)
def test_decision_is_deterministic_and_well_formed(
    claims: TicketClaims,
    history: tuple[Passage, ...],
    revoked: str | None,
    blocked: str | None,
    replica_type: uuid.UUID | None,
    direction: Direction,
    gate: str,
    now: dt.datetime,
    rules: list[GateRule],
    door: DoorWindow | None,
) -> None:
    known = TicketFacts(
        ticket_type_id=replica_type, revoked=revoked, blocked=blocked, history=history
    )
    event = make_event(rules=rules, door=door)

    decision = decide_scan(claims, known, direction=direction, gate=gate, event=event, now=now)

    again = decide_scan(claims, known, direction=direction, gate=gate, event=event, now=now)
    assert again == decision
    assert decision.message
    if decision.warning is not None:
        assert (decision.status, direction) == ("ok", "in")
        assert door is not None
        assert door.policy == "warn"
    if decision.status == "ok":
        assert decision.reason is None
        assert direction == "out" or (revoked is None and blocked is None)
    else:
        assert decision.status == "rejected"
        assert decision.reason in REASONS
        assert decision.reason not in CODE_REASONS  # those are check_code's to give
        assert direction == "in"
    entries = [p for p in history if p.direction == "in"]
    assert decision.first_admitted == (entries[0] if entries else None)


PLAIN_CLAIMS = make_claims()
WINDOW_CLAIMS = make_claims(VIP.id, key_id=2, valid_from=local(16), valid_until=local(23))
GENUINE = {
    sign_token(PLAIN_CLAIMS, KEY_1): PLAIN_CLAIMS,
    sign_token(WINDOW_CLAIMS, KEY_2): WINDOW_CLAIMS,
}
code_chars = st.sampled_from(base43.ALPHABET) | st.characters()


def assert_checked(code: str) -> TicketClaims | Decision:
    """check_code answers any text with claims or a rejection it may give, never raising."""
    result = check_code(code, EVENT)
    if isinstance(result, Decision):
        assert result.status == "rejected"
        assert result.reason in CODE_REASONS
        assert result.message
    if code.strip() in GENUINE:
        assert result == GENUINE[code.strip()]
    else:
        assert not isinstance(result, TicketClaims), f"{code!r} was accepted"
    return result


@st.composite
def mutated_tokens(draw: st.DrawFn) -> str:
    code = draw(st.sampled_from(sorted(GENUINE)))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(("replace", "insert", "delete", "swap", "cut")))
        i = draw(st.integers(0, max(len(code) - 1, 0)))
        if op == "replace":
            code = code[:i] + draw(code_chars) + code[i + 1 :]
        elif op == "insert":
            code = code[:i] + draw(code_chars) + code[i:]
        elif op == "delete":
            code = code[:i] + code[i + 1 :]
        elif op == "swap":
            code = code[:i] + code[i + 1 : i + 2] + code[i : i + 1] + code[i + 2 :]
        else:
            code = code[:i]
    return code


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_check_code_answers_any_text(code: str) -> None:
    assert_checked(code)


@settings(max_examples=200, deadline=None)
@given(mutated_tokens())
def test_check_code_accepts_only_the_genuine_token(code: str) -> None:
    assert_checked(code)


@pytest.mark.parametrize("code", sorted(GENUINE))
def test_genuine_tokens_pass_the_fuzz_oracle(code: str) -> None:
    assert isinstance(assert_checked(code), TicketClaims)
    assert isinstance(assert_checked(f" {code}\r\n"), TicketClaims)
