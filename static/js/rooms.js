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
