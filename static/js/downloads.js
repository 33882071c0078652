// A download link pressed: the page says the file is being made, and a second press does nothing, until the
// file arrives. A district's full member list takes a while to make, and a phone shows nothing meanwhile, so
// people pressed again, and again, each press making the whole file once more.
// The server answers the download with the cookie download=<token> (controlroom.middleware.DownloadReadyMiddleware).
(function () {
  "use strict";
  var WAIT_AT_MOST_MS = 180000;

  function arrived(token) {
    return document.cookie.split("; ").indexOf("download=" + token) !== -1;
  }

  function done(link, note, timer) {
    clearInterval(timer);
    note.remove();
    link.removeAttribute("aria-disabled");
    document.cookie = "download=; max-age=0; path=/; samesite=strict";
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[download]");
    if (!link || link.hasAttribute("data-fetch") || event.defaultPrevented) {
      return; // not a download, or the one this script starts below
    }
    event.preventDefault();
    if (link.getAttribute("aria-disabled") === "true") {
      return; // already being made
    }
    var token = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    var url = new URL(link.href, window.location.href);
    url.searchParams.set("download", token);
    var fetcher = document.createElement("a");
    fetcher.href = url.toString();
    fetcher.setAttribute("download", "");
    fetcher.setAttribute("data-fetch", "");
    document.body.appendChild(fetcher);
    fetcher.click();
    fetcher.remove();

    link.setAttribute("aria-disabled", "true");
    var note = document.createElement("span");
    note.className = "download-note";
    note.setAttribute("role", "status");
    note.textContent = document.body.dataset.preparing || "…";
    link.insertAdjacentElement("afterend", note);
    var started = Date.now();
    var timer = setInterval(function () {
      if (arrived(token) || Date.now() - started > WAIT_AT_MOST_MS) {
        done(link, note, timer);
      }
    }, 500);
  });
})();
