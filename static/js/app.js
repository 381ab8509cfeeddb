// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  var modal = function () { return document.getElementById("modal"); };

  function toast(message, kind) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var el = document.createElement("div");
    el.setAttribute("role", kind === "error" ? "alert" : "status");
    el.setAttribute("data-testid", "toast");
    el.className = "pointer-events-auto max-w-sm rounded-lg px-4 py-3 text-sm shadow-lg ring-1 " +
      (kind === "error" ? "bg-red-50 text-red-800 ring-red-200" : "bg-slate-900 text-white ring-slate-900/10");
    el.textContent = message;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 6000);
  }

  // Copy buttons: data-copy holds the text.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-copy]");
    if (btn) {
      var text = btn.getAttribute("data-copy");
      var label = btn.querySelector("[data-copy-label]") || btn;
      var done = function () {
        label.textContent = "Copied";
        btn.setAttribute("data-copied", "true");
        setTimeout(function () { label.textContent = "Copy"; btn.removeAttribute("data-copied"); }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(btn, text, done); });
      } else {
        fallbackCopy(btn, text, done);
      }
      return;
    }
    var close = e.target.closest("[data-close-modal]");
    if (close && modal() && modal().open) {
      e.preventDefault();
      modal().close();
    }
  });

  function fallbackCopy(btn, text, done) {
    var input = btn.parentElement.querySelector("input");
    if (input) { input.focus(); input.select(); }
    try { if (document.execCommand("copy")) done(); } catch (err) { /* the text stays selected */ }
  }

  // Source search in the generate dialog.
  document.addEventListener("input", function (e) {
    if (!e.target.matches("[data-source-search]")) return;
    var q = e.target.value.trim().toLowerCase();
    var list = e.target.closest("form").querySelector("[data-source-list]");
    var any = false;
    list.querySelectorAll("[data-source-group]").forEach(function (g) {
      var shown = 0;
      g.querySelectorAll("[data-source-option]").forEach(function (o) {
        var hit = !q || o.getAttribute("data-name").toLowerCase().indexOf(q) !== -1;
        o.classList.toggle("hidden", !hit);
        if (hit) shown++;
      });
      g.classList.toggle("hidden", shown === 0);
      if (shown) any = true;
    });
    list.querySelector("[data-source-none]").classList.toggle("hidden", any);
  });

  // Open the dialog when htmx fills it; focus its search box.
  document.addEventListener("htmx:afterSwap", function (e) {
    var m = modal();
    if (e.detail.target === m) {
      if (!m.open) m.showModal();
      var focus = m.querySelector("[autofocus], [data-source-search]");
      if (focus) focus.focus();
    }
  });

  // Toasts from HX-Trigger: {"toast": {"message": "...", "kind": "..."}}.
  document.addEventListener("DOMContentLoaded", function () {
    document.body.addEventListener("toast", function (e) { toast(e.detail.message, e.detail.kind); });
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server could not be reached. Check your connection and try again.", "error");
  });

  // Confirmation in a styled dialog instead of window.confirm.
  document.addEventListener("htmx:confirm", function (e) {
    var question = e.detail.question;
    if (!question) return;
    e.preventDefault();
    var m = modal();
    m.innerHTML = "";
    var wrap = document.createElement("div");
    wrap.className = "p-6";
    wrap.setAttribute("data-testid", "confirm");
    var h = document.createElement("h2");
    h.id = "modal-title";
    h.className = "text-lg font-semibold text-slate-900";
    h.textContent = question.split("?")[0] + "?";
    var p = document.createElement("p");
    p.className = "mt-2 text-sm text-slate-600";
    p.textContent = question.split("?").slice(1).join("?").trim();
    var row = document.createElement("div");
    row.className = "mt-6 flex justify-end gap-3";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn btn-secondary";
    cancel.textContent = "Cancel";
    cancel.setAttribute("data-close-modal", "");
    var ok = document.createElement("button");
    ok.type = "button";
    ok.className = "btn btn-danger";
    ok.textContent = "Delete link";
    ok.setAttribute("data-testid", "confirm-delete");
    ok.addEventListener("click", function () { m.close(); e.detail.issueRequest(true); });
    row.append(cancel, ok);
    wrap.append(h, p, row);
    m.append(wrap);
    m.showModal();
    cancel.focus();
  });
})();
