// Recordings and compositions: inline players and showing only the form parts that apply.
(function () {
  "use strict";

  // "Play" loads the file only when asked: a row below gets an <audio>/<video> streaming through
  // the dashboard's download URL (Range requests make seeking work). A second click closes it.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-play]");
    if (!button) return;
    const row = button.closest("tr");
    const next = row.nextElementSibling;
    if (next && next.classList.contains("player-row")) {
      next.remove();
      button.textContent = "Play";
      return;
    }
    const player = document.createElement(button.dataset.kind === "audio" ? "audio" : "video");
    player.className = "player";
    player.controls = true;
    player.preload = "metadata";
    player.src = button.dataset.play;
    const cell = document.createElement("td");
    cell.colSpan = row.children.length;
    cell.appendChild(player);
    const playerRow = document.createElement("tr");
    playerRow.className = "player-row";
    playerRow.appendChild(cell);
    row.after(playerRow);
    button.textContent = "Close";
    player.play().catch(function () { /* autoplay may be refused; the controls are there */ });
  });

  // <section data-show-when="layout=custom">: shown only when that choice is selected
  // ("layout=single|side_by_side": when either is).
  function applyConditions(root) {
    root.querySelectorAll("[data-show-when]").forEach(function (el) {
      const [name, value] = el.dataset.showWhen.split("=");
      const form = el.closest("form") || document;
      const checked = form.querySelector("[name='" + name + "']:checked");
      const select = form.querySelector("select[name='" + name + "']");
      const current = checked ? checked.value : (select ? select.value : null);
      el.hidden = value.split("|").indexOf(current) === -1;
    });
  }
  document.addEventListener("change", function () { applyConditions(document); });
  document.addEventListener("DOMContentLoaded", function () { applyConditions(document); });
})();
