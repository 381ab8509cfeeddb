// Small progressive enhancements; every page works without this file.
// No inline scripts or styles, no eval: the CSP allows neither.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var modal = function () { return document.getElementById("modal"); };

  // word is one of the page's words for this script (views.jsWords: the
  // catalog's, in the page's language).
  function word(name) {
    var el = document.getElementById("js-words");
    return (el && el.getAttribute("data-" + name)) || "";
  }

  // icon builds a 20x20 stroked SVG from path data.
  function icon(className, paths) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 20 20");
    svg.setAttribute("fill", "none");
    svg.setAttribute("stroke", "currentColor");
    svg.setAttribute("stroke-width", "1.8");
    svg.setAttribute("stroke-linecap", "round");
    svg.setAttribute("stroke-linejoin", "round");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", className);
    paths.forEach(function (d) {
      var p = document.createElementNS(SVG, "path");
      p.setAttribute("d", d);
      svg.appendChild(p);
    });
    return svg;
  }
  var ICON_OK = ["M10 17.5a7.5 7.5 0 1 0 0-15 7.5 7.5 0 0 0 0 15z", "m6.8 10.3 2.2 2.2 4.2-4.6"];
  var ICON_ERROR = ["M10 17.5a7.5 7.5 0 1 0 0-15 7.5 7.5 0 0 0 0 15z", "M10 6.5v4.2", "M10 13.5h.01"];
  var ICON_X = ["m6 6 8 8", "m14 6-8 8"];
  var ICON_TRASH = ["M4 6h12", "M8 6V4h4v2", "m6 6 1 10h6l1-10"];

  function toast(message, kind) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var error = kind === "error";
    var el = document.createElement("div");
    el.setAttribute("role", error ? "alert" : "status");
    el.setAttribute("data-testid", "toast");
    el.className = "toast" + (error ? " toast-error" : "");
    var text = document.createElement("p");
    text.className = "min-w-0 flex-1";
    text.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", word("dismiss"));
    close.appendChild(icon("h-4 w-4", ICON_X));
    el.append(icon("toast-icon", error ? ICON_ERROR : ICON_OK), text, close);
    var timer;
    var dismiss = function () {
      clearTimeout(timer);
      el.classList.add("toast-leave");
      setTimeout(function () { el.remove(); }, 200);
    };
    close.addEventListener("click", dismiss);
    // Hovering or focusing keeps the toast up long enough to read.
    var arm = function () { timer = setTimeout(dismiss, error ? 10000 : 6000); };
    el.addEventListener("mouseenter", function () { clearTimeout(timer); });
    el.addEventListener("mouseleave", arm);
    box.appendChild(el);
    arm();
  }

  // Copy buttons: data-copy holds the text, or data-copy-from names the
  // input that does (the links table, which sends each URL once); the label
  // says "Copied" for two seconds and data-copied styles the button.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-copy], [data-copy-from]");
    if (btn) {
      var from = document.getElementById(btn.getAttribute("data-copy-from") || "");
      var text = btn.hasAttribute("data-copy") ? btn.getAttribute("data-copy") : (from ? from.value : "");
      var label = btn.querySelector("[data-copy-label]") || btn;
      var done = function () {
        if (!btn.hasAttribute("data-copied")) btn.setAttribute("data-label", label.textContent);
        label.textContent = word("copied");
        btn.setAttribute("data-copied", "true");
        clearTimeout(btn._copyTimer);
        btn._copyTimer = setTimeout(function () {
          label.textContent = btn.getAttribute("data-label") || word("copy");
          btn.removeAttribute("data-copied");
        }, 2000);
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
    try {
      if (document.execCommand("copy")) { done(); return; }
    } catch (err) { /* the text stays selected */ }
    toast(word("copy-by-hand"), "info");
  }

  // Clicking a read-only link field selects all of it.
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("input[readonly][data-testid='link-url']")) e.target.select();
  });

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

  // Enter in the search box picks the only match instead of submitting.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || !e.target.matches("[data-source-search]")) return;
    e.preventDefault();
    var form = e.target.closest("form");
    var visible = Array.prototype.filter.call(
      form.querySelectorAll("[data-source-option]:not(.hidden) input[type=radio]:not(:disabled)"),
      function (r) { return !r.closest("[data-source-group].hidden"); });
    if (visible.length === 1) {
      visible[0].checked = true;
      visible[0].focus();
    }
  });

  // Open the dialog when htmx fills it and focus its [autofocus] element,
  // else the search box; on touch screens the search box waits for a tap,
  // so the keyboard does not cover the list.
  var coarse = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
  document.addEventListener("htmx:afterSwap", function (e) {
    var m = modal();
    if (e.detail.target === m) {
      if (!m.open) m.showModal();
      var focus = m.querySelector("[autofocus]") || (!coarse && m.querySelector("[data-source-search]"));
      if (focus) focus.focus();
    }
  });

  // A closed dialog drops its content, so nothing stale shows next time.
  // The close event comes a task later: by then the dialog may be open
  // again with new content, which must stay. Focus goes back to what opened
  // the dialog; when that is gone (the list was redrawn behind it), to the
  // page's main action or its title.
  document.addEventListener("close", function (e) {
    if (e.target !== modal()) return;
    if (!e.target.open) e.target.replaceChildren();
    if (focusLost()) focus(document.querySelector("#page-actions a, #page-actions button") || document.getElementById("page-title"));
  }, true);

  // Focus never falls to <body> when htmx removes the element that had it.
  // Before the swap, where it should go is worked out from the element that
  // asked; after the swap it moves there if it was lost:
  // - a deleted row: the next row's delete control (else the previous
  //   row's, else "Load more", else the page title);
  // - "Load more": the first of the new rows;
  // - the list redrawn (status tab, "Show all links"): the current tab,
  //   when htmx did not already give it the focus by its id.
  var focusNext = null;
  function focusLost() {
    return !document.activeElement || document.activeElement === document.body;
  }
  function focus(el) {
    if (el) el.focus();
  }
  function linkRow(row, step) {
    for (var r = row && row[step]; r; r = r[step]) {
      if (r.classList.contains("link-row")) return r;
    }
    return null;
  }
  document.addEventListener("htmx:beforeSwap", function (e) {
    var elt = e.detail.requestConfig && e.detail.requestConfig.elt;
    focusNext = null;
    if (!elt || !e.detail.shouldSwap) return;
    if (elt.matches("[data-delete-link]")) {
      var row = elt.closest("tr");
      var other = linkRow(row, "nextElementSibling") || linkRow(row, "previousElementSibling");
      focusNext = function () {
        return (other && other.querySelector("[data-delete-link]")) ||
          document.querySelector("[data-load-more]") || document.getElementById("page-title");
      };
    } else if (elt.matches("[data-load-more]")) {
      var before = elt.closest("tr").previousElementSibling;
      focusNext = function () {
        var first = linkRow(before, "nextElementSibling");
        return (first && first.querySelector("a[href]")) || document.querySelector("[data-load-more]") || document.getElementById("page-title");
      };
    } else if (elt.matches("a") && e.detail.target && e.detail.target.id === "links-region") {
      focusNext = function () { return document.querySelector("#links-region nav [aria-current]"); };
    }
  });
  // afterRequest comes once the swap is done; when the element that asked
  // was removed, htmx sends it to the nearest parent still in the page.
  document.addEventListener("htmx:afterRequest", function () {
    var next = focusNext;
    focusNext = null;
    if (next && focusLost()) focus(next());
  });

  // A click on the backdrop (outside the panel) closes the dialog.
  document.addEventListener("mousedown", function (e) {
    var m = modal();
    if (!m || e.target !== m || !m.open) return;
    var r = m.getBoundingClientRect();
    var inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
    if (!inside) m.close();
  });

  // Toasts from HX-Trigger: {"toast": {"message": "...", "kind": "..."}}.
  document.addEventListener("DOMContentLoaded", function () {
    document.body.addEventListener("toast", function (e) { toast(e.detail.message, e.detail.kind); });
  });
  document.addEventListener("htmx:sendError", function () {
    toast(word("offline"), "error");
  });
  document.addEventListener("htmx:responseError", function (e) {
    var s = e.detail.xhr && e.detail.xhr.status;
    if (s === 401 || s === 422) return; // redirect to sign-in, or a form with its errors
    toast(word(s === 403 ? "forbidden" : s === 404 ? "gone" : "failed"), "error");
  });

  // The phone's tab strip: the current tab scrolled into view, and a fade
  // at each edge that has more tabs beyond it.
  document.addEventListener("DOMContentLoaded", function () {
    var nav = document.querySelector(".nav-strip");
    if (!nav) return;
    var edges = function () {
      nav.toggleAttribute("data-more-left", nav.scrollLeft > 1);
      nav.toggleAttribute("data-more-right", nav.scrollLeft + nav.clientWidth < nav.scrollWidth - 1);
    };
    var current = nav.querySelector('[aria-current="page"]');
    if (current && nav.scrollWidth > nav.clientWidth) {
      var n = nav.getBoundingClientRect(), c = current.getBoundingClientRect();
      nav.scrollLeft += c.left - n.left - (n.width - c.width) / 2;
    }
    edges();
    nav.addEventListener("scroll", edges, { passive: true });
    window.addEventListener("resize", edges);
  });

  // "Delete selected..." with no box ticked says so at once, in a toast,
  // instead of going to the server, which says it after a round trip (the
  // page without this script).
  document.addEventListener("submit", function (e) {
    var form = e.target;
    // getAttribute: the form's boxes are named "id", so form.id is them.
    if (form.getAttribute("id") !== "bulk-form" || document.querySelector('input[form="bulk-form"][name="id"]:checked')) return;
    e.preventDefault();
    toast(form.getAttribute("data-none-selected"), "error");
  });

  // Confirmation in a styled dialog instead of window.confirm. The question
  // is "Title? Details."
  document.addEventListener("htmx:confirm", function (e) {
    var question = e.detail.question;
    if (!question) return;
    e.preventDefault();
    // A control htmx disabled while its request runs asks nothing twice.
    if (e.detail.elt.hasAttribute("disabled")) return;
    var m = modal();
    m.replaceChildren();
    var wrap = document.createElement("div");
    wrap.className = "p-5 sm:p-6";
    wrap.setAttribute("data-testid", "confirm");
    var top = document.createElement("div");
    top.className = "flex items-start gap-4";
    var badge = document.createElement("span");
    badge.className = "flex h-10 w-10 shrink-0 items-center justify-center rounded-full bg-red-50 text-red-600";
    badge.appendChild(icon("h-5 w-5", ICON_TRASH));
    var body = document.createElement("div");
    body.className = "min-w-0 flex-1";
    var h = document.createElement("h2");
    h.id = "modal-title";
    h.className = "text-lg font-semibold text-slate-900";
    h.textContent = question.split("?")[0] + "?";
    var p = document.createElement("p");
    p.className = "mt-1 text-sm text-slate-600";
    p.textContent = question.split("?").slice(1).join("?").trim();
    body.append(h, p);
    top.append(badge, body);
    var row = document.createElement("div");
    row.className = "mt-6 flex flex-col-reverse gap-3 sm:flex-row sm:justify-end";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn btn-secondary";
    cancel.textContent = word("cancel");
    cancel.setAttribute("data-close-modal", "");
    var ok = document.createElement("button");
    ok.type = "button";
    ok.className = "btn btn-danger";
    ok.textContent = word("confirm-delete");
    ok.setAttribute("data-testid", "confirm-delete");
    ok.addEventListener("click", function () { m.close(); e.detail.issueRequest(true); });
    row.append(cancel, ok);
    wrap.append(top, row);
    m.append(wrap);
    m.showModal();
    cancel.focus();
  });
})();
