// Small helpers for every organiser page; each page works without them.
"use strict";

// Forms that cannot be undone (cancel an event, revoke a key) ask first. Without
// JavaScript they still work: the server is the one that checks what is allowed.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset?.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// A fresh sign-up offers the browser's own timezone when the hub knows that name.
for (const input of document.querySelectorAll("input[data-guess-timezone]")) {
  const guess = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const known = [...(input.list?.options ?? [])].some((option) => option.value === guess);
  if (guess && known) input.value = guess;
}
