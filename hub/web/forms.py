"""Form posts to the hub's input structs: the same msgspec structs the JSON API validates.

A browser sends strings. `convert` turns a form into the struct a service takes: empty
fields fall back to the struct's defaults, checkboxes become booleans, comma-separated
fields become lists, amounts become cents and `datetime-local` values get the event's
timezone. Anything msgspec refuses becomes a `FormError` whose message names the field in
the user's words, so the page can show it next to the input the user typed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import msgspec
from starlette.datastructures import FormData

from hub.local_time import zone
from hub.schemas import is_timezone

T = TypeVar("T")

# Fields whose name alone does not say enough, and what msgspec's pattern errors mean.
LABELS = {
    "slug": "Address",
    "colour": "Colour",
    "logo_url": "Logo URL",
    "first_row": "First row",
    "last_row": "Last row",
    "first_seat": "First seat",
    "last_seat": "Last seat",
    "skip_seats": "Skip seat numbers",
    "aisles_after": "Aisles after seat numbers",
    "section_id": "Section",
    "zone_id": "Zone",
    "venue_id": "Venue",
    "layout_id": "Seating layout",
    "ticket_type_id": "Ticket type",
    "ticket_type_ids": "Ticket types",
    "price_cents": "Price",
    "amount_off_cents": "Amount off",
    "percent_off": "Percent off",
    "min_quantity": "Minimum quantity",
    "max_entries": "Maximum entries",
    "starts_at": "Starts",
    "ends_at": "Ends",
    "seat_ids": "Seats",
    "seat_labels": "Seats",
    "door_opens_minutes": "Doors open",
    "door_policy": "Outside the door window",
}
HINTS = {
    "slug": "use 2 to 64 lower-case letters, digits and hyphens, starting with a letter or digit",
    "colour": "choose a colour like #1f6feb",
    "email": "enter an email address like name@example.org",
    "currency": "use a three-letter currency code like ZAR or EUR",
    "first_row": "use letters (A) or numbers (1)",
    "last_row": "use letters (Z) or numbers (30)",
    "logo_url": "use an https:// address",
    "code": "use 3 to 64 letters, digits, hyphens or underscores",
    "name": "enter a name of at most 200 characters",
    "password": "use at most 1024 characters",
    "seat_labels": "name seats by their labels (at most 32 characters each), like A1, A2",
    "door_opens_minutes": "use a whole number of minutes from 0 to 10080 (a week)",
    "door_policy": "choose warn, reject or off",
}
_AT = re.compile(r"at `\$\.(\w+)")
_MISSING = re.compile(r"missing required field `(\w+)`")


class FormError(Exception):
    """A form field is not acceptable; the message says which and why."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def label(field: str) -> str:
    """The user's name of a struct field."""
    return LABELS.get(field, field.replace("_", " ").capitalize())


def convert(
    form: FormData,
    into: type[T],
    *,
    checkboxes: Collection[str] = (),
    comma_lists: Collection[str] = (),
    multi: Collection[str] = (),
    money: Collection[str] = (),
    local_times: Collection[str] = (),
    blank_ok: Collection[str] = (),
    json_fields: Collection[str] = (),
    timezone: str = "UTC",
) -> T:
    """The `into` struct from a form post, or FormError naming the field at fault.

    `checkboxes` are True when present; `comma_lists` are "5, 6 12" style lists; `multi`
    come as repeated fields (checkbox groups); `money` are amounts ("350" or "350.00") that
    become cents; `local_times` are `datetime-local` values in `timezone`; `blank_ok` keep
    an empty value (it clears the setting) instead of falling back to the default;
    `json_fields` are JSON documents typed into a textarea.
    """
    data: dict[str, Any] = {}
    for field in msgspec.structs.fields(into):  # type: ignore[arg-type]
        name = field.encode_name
        if name in checkboxes:
            data[name] = name in form
            continue
        if name in multi:
            values = [v for v in (str(x).strip() for x in form.getlist(name)) if v]
            if values:
                data[name] = values
            continue
        raw = form.get(name)
        value = raw.strip() if isinstance(raw, str) else ""
        if not value:
            if name in blank_ok and raw is not None:
                data[name] = ""
            continue  # the struct's default applies, or msgspec says the field is required
        if name in comma_lists:
            data[name] = [v for v in re.split(r"[,\s]+", value) if v]
        elif name in money:
            data[name] = cents(value, name)
        elif name in json_fields:
            data[name] = json_value(value, name)
        elif name in local_times:
            data[name] = local_time(value, timezone, name)
        else:
            data[name] = value
    if "timezone" in data:
        check_timezone(data["timezone"])
    try:
        return msgspec.convert(data, into, strict=False)
    except msgspec.ValidationError as exc:
        raise _friendly(str(exc)) from None


def check_form(form: FormData) -> None:
    """FormError for the first field holding what PostgreSQL cannot store (NUL).

    Every form post passes here before its handler, so no form can send one to the
    database, whether or not the handler converts it to a struct.
    """
    for key, value in form.multi_items():
        if "\x00" in key:
            raise FormError("the form could not be read: reload the page and try again")
        if isinstance(value, str) and "\x00" in value:
            raise FormError(
                f"{label(key)}: remove the invisible NUL character (shown as \ufffd)", key
            )


def _friendly(message: str) -> FormError:
    found = _AT.search(message) or _MISSING.search(message)
    if found is None:
        return FormError(message)
    field = found.group(1)
    if _MISSING.search(message):
        return FormError(f"{label(field)}: fill this in", field)
    hint = HINTS.get(field)
    if hint is None:
        detail = _AT.sub("", message).strip(" -")
        detail = detail.replace("`", "").replace("Expected", "expected")
        hint = detail
    return FormError(f"{label(field)}: {hint}", field)


def cents(value: str, field: str = "price_cents") -> int:
    """An amount typed by a person ("350", "350.5", "1 200,00") in cents."""
    text = value.replace(" ", "").replace("\u00a0", "")
    # "350,50" has a decimal comma, as many organisers type it; "1,200" groups thousands.
    decimal_comma = re.fullmatch(r"\d+,\d{1,2}", text) is not None
    text = text.replace(",", ".") if decimal_comma else text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise FormError(f"{label(field)}: enter an amount like 350 or 350.00", field) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise FormError(f"{label(field)}: enter an amount like 350 or 350.00", field)
    return int(amount * 100)


def json_value(value: str, field: str) -> Any:
    """A JSON document typed into a textarea."""
    try:
        return msgspec.json.decode(value)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise FormError(f"{label(field)}: this is not valid JSON ({exc})", field) from None


def local_time(value: str, timezone: str, field: str = "starts_at") -> dt.datetime:
    """A `datetime-local` value (no offset) read as a time in `timezone`."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise FormError(f"{label(field)}: enter a date and time", field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(timezone))
    return moment


def check_timezone(timezone: str) -> None:
    """FormError unless `timezone` is a tz database name like Africa/Johannesburg."""
    if not is_timezone(timezone):
        raise FormError("Timezone: use a name like Africa/Johannesburg or UTC", "timezone")
