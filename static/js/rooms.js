// The moderation console: keep the user's checkbox selection while the participant table refreshes.
(function () {
  "use strict";

  const selected = new Set();

  function boxes() {
    return document.querySelectorAll('#participant-table input[type=checkbox][name=selected]');
  }

  function apply() {
    let count = 0;
    boxes().forEach(function (box) {
      box.checked = selected.has(box.value);
      const row = box.closest("tr");
      if (row) row.classList.toggle("selected", box.checked);
      if (box.checked) count += 1;
    });
    // Forget participants who left: they cannot be acted on any more.
    const present = new Set(Array.from(boxes()).map(function (b) { return b.value; }));
    selected.forEach(function (id) { if (!present.has(id)) selected.delete(id); });
    document.querySelectorAll("[data-selected-count]").forEach(function (el) { el.textContent = String(count); });
    const all = document.querySelector("#participant-table [data-select-all]");
    if (all) all.checked = count > 0 && count === present.size;
  }

  document.addEventListener("change", function (event) {
    const box = event.target;
    if (!(box instanceof HTMLInputElement)) return;
    if (box.matches("[data-select-all]")) {
      boxes().forEach(function (b) { if (box.checked) selected.add(b.value); else selected.delete(b.value); });
    } else if (box.name === "selected" && box.closest("#participant-table")) {
      if (box.checked) selected.add(box.value); else selected.delete(box.value);
    } else {
      return;
    }
    apply();
  });

  // afterSwap runs in the same task that inserted the new rows, so no frame shows them unchecked.
  document.addEventListener("htmx:afterSwap", apply);
  document.addEventListener("htmx:afterSettle", apply);
  document.addEventListener("DOMContentLoaded", function () {
    boxes().forEach(function (b) { if (b.checked) selected.add(b.value); });
    apply();
  });
})();

// One action menu for every row of the console: the rows carry only an "Actions" button, the menu's
// buttons post the row's participant ids (the table stays small however many people are there).
(function () {
  "use strict";

  function menu() { return document.getElementById("row-menu"); }

  function close() {
    const m = menu();
    if (m) { m.hidden = true; m.removeAttribute("data-for"); }
  }

  function openFor(button) {
    const m = menu();
    const row = button.closest("tr");
    const box = row && row.querySelector("input[name=selected]");
    if (!m || !box) return;
    m.querySelectorAll("button[name=participants]").forEach(function (b) {
      b.value = box.value;
      if (b.dataset.confirm) b.dataset.confirm = "Kick " + (row.dataset.name || "this participant") + " from the session?";
    });
    m.dataset.for = row.id;
    const label = m.querySelector("[data-row-menu-name]");
    if (label) label.textContent = row.dataset.name || "";
    m.hidden = false;  // placed by CSS (no inline styles: the CSP forbids them)
    const first = m.querySelector("button");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const opener = target.closest("[data-row-menu]");
    if (opener) { event.preventDefault(); openFor(opener); return; }
    if (!target.closest("#row-menu")) close();
  });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });
  // A refreshed table may no longer hold the row the menu was opened for.
  document.addEventListener("htmx:afterSettle", function () {
    const m = menu();
    if (m && m.dataset.for && !document.getElementById(m.dataset.for)) close();
  });
})();
