// Shows every <time datetime data-local> of an invitee's page in the
// reader's own time zone, in the page's language (<html lang>), with the
// zone named: "Tuesday, December 8 at 1:05 AM GMT+11". The server's UTC
// rendering stays as the title, and is what a browser without scripts
// shows. Loaded only by pages that have such times; no inline script.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var times = document.querySelectorAll("time[datetime][data-local]");
  for (var i = 0; i < times.length; i++) {
    var el = times[i];
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d.getTime())) continue;
    var opts = { weekday: "long", day: "numeric", month: "long", hour: "numeric", minute: "2-digit", timeZoneName: "short" };
    if (d.getFullYear() !== new Date().getFullYear()) opts.year = "numeric";
    var text;
    try {
      text = new Intl.DateTimeFormat(lang, opts).format(d);
    } catch (e) {
      continue; // an old browser keeps the UTC text
    }
    el.title = el.textContent;
    el.textContent = text;
    el.setAttribute("data-localized", "");
  }
})();
