// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Buttons and forms with data-confirm ask first (kick, end session, delete...).
  document.addEventListener("submit", function (event) {
    const form = event.target;
    const submitter = event.submitter;
    const question = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Copy buttons: <button data-copy="#element-id">.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    if (!source) return;
    const text = source.value !== undefined ? source.value : source.textContent;
    navigator.clipboard.writeText(text.trim()).then(function () {
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // Countdowns: <time data-countdown="ISO instant">; shows "mm:ss left" and "expired".
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      const left = Math.round((Date.parse(el.dataset.countdown) - Date.now()) / 1000);
      if (Number.isNaN(left)) return;
      if (left <= 0) {
        el.textContent = "expired";
        el.classList.add("expired");
        return;
      }
      const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      const pad = function (n) { return String(n).padStart(2, "0"); };
      el.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s) + " left";
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);

  // Open menus (<details class="menu">, the phone menu) close on a click elsewhere or on Escape.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open], details.nav-phone[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest("details.menu, details.nav-phone"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeMenus(null);
  });
})();
