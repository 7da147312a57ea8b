// Small helpers for every organiser page; each page works without them.
"use strict";

// Forms that cannot be undone (cancel an event, revoke a key) ask first. Without
// JavaScript they still work: the server is the one that checks what is allowed.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset?.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
