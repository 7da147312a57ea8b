// The entry rule editor's small helpers. Without them the form still works: every
// condition row shows all its fields and the server reads the ones its check uses.
// With them, each row shows only its check's fields (the others are disabled, so they
// are not sent), From and To become time or date pickers, and "Add a condition" shows
// one more row.
"use strict";

(() => {
  const list = document.getElementById("conditions");
  if (!list) return;
  const MAX_ROWS = 20; // hub.rule_editor.MAX_CONDITIONS

  function inputsOf(row) {
    const option = row.querySelector(".condition-kind").selectedOptions[0];
    return new Set((option?.dataset.inputs ?? "").split(" ").filter(Boolean));
  }

  function used(row) {
    return row.querySelector(".condition-kind").value !== "";
  }

  function show(row) {
    const kind = row.querySelector(".condition-kind").value;
    const wanted = inputsOf(row);
    for (const label of row.querySelectorAll("[data-input]")) {
      const on = wanted.has(label.dataset.input);
      label.hidden = !on;
      for (const field of label.querySelectorAll("input, select")) {
        field.disabled = !on;
        if (label.dataset.input === "from" || label.dataset.input === "to") {
          const type = kind === "times" ? "time" : kind === "dates" ? "date" : "text";
          if (field.type !== type) {
            const keep = field.value;
            field.type = type;
            field.value = keep;
          }
        }
      }
    }
  }

  // A new row like the last one, numbered next, with nothing chosen.
  function addRow() {
    const rows = list.querySelectorAll(".condition");
    const hidden = [...rows].find((row) => row.hidden);
    if (hidden) {
      hidden.hidden = false;
      for (const field of hidden.querySelectorAll("select.condition-kind")) field.disabled = false;
      show(hidden);
      hidden.querySelector(".condition-kind").focus();
      return;
    }
    if (rows.length >= MAX_ROWS) return;
    const last = rows[rows.length - 1];
    const index = rows.length;
    const row = last.cloneNode(true);
    row.dataset.row = String(index);
    row.querySelector(".kind > span").textContent = `Condition ${index + 1}`;
    for (const field of row.querySelectorAll("[name]")) {
      field.name = field.name.replace(/^c\d+_/, `c${index}_`);
      if (field.tagName === "SELECT") {
        for (const option of field.options) option.selected = false;
      } else {
        field.value = "";
      }
    }
    row.querySelector(".condition-kind").value = "";
    list.append(row);
    show(row);
    row.querySelector(".condition-kind").focus();
  }

  // Rows past the first unused one wait behind "Add a condition".
  let firstFree = true;
  for (const row of list.querySelectorAll(".condition")) {
    show(row);
    if (!used(row)) {
      if (firstFree) {
        firstFree = false;
      } else {
        row.hidden = true;
        for (const field of row.querySelectorAll("input, select")) field.disabled = true;
      }
    }
  }
  list.addEventListener("change", (event) => {
    if (event.target.classList.contains("condition-kind")) show(event.target.closest(".condition"));
  });
  const button = document.createElement("button");
  button.type = "button";
  button.id = "add-condition";
  button.textContent = "Add a condition";
  button.addEventListener("click", addRow);
  list.after(button);
  for (const help of document.querySelectorAll("#rule-form .no-script")) help.hidden = true;
})();
