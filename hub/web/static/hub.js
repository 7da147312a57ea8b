// Small helpers for every organiser page; each page works without them.
"use strict";

// Forms that cannot be undone (cancel an event, revoke a key) are confirmed by the hub:
// without `confirmed=yes` it answers with a confirm page, so they work without
// JavaScript. Forms that carry their question (data-confirm) ask it here instead, and
// send `confirmed=yes` when the answer is yes.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset?.confirm;
  if (!question) return;
  if (!window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (!form.querySelector('input[name="confirmed"]')) {
    const confirmed = document.createElement("input");
    confirmed.type = "hidden";
    confirmed.name = "confirmed";
    confirmed.value = "yes";
    form.append(confirmed);
  }
});

// A fresh sign-up offers the browser's own timezone when the hub knows that name.
for (const input of document.querySelectorAll("input[data-guess-timezone]")) {
  const guess = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const known = [...(input.list?.options ?? [])].some((option) => option.value === guess);
  if (guess && known) input.value = guess;
}
