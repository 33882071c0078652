// A download link pressed: the page says the file is being made, and a second press does nothing, until the
// file arrives. A district's full member list takes a while to make, and a phone shows nothing meanwhile, so
// people pressed again, and again, each press making the whole file once more.
// The server answers the download with the cookie download-<token>: "ok", or "failed" for an error or the login
// page (controlroom.middleware.DownloadReadyMiddleware). Without an answer, the page gives up waiting after as
// long as the server gives a request.
(function () {
  "use strict";
  var WAIT_AT_MOST_MS = 120000;
  var SHOW_FAILURE_MS = 10000;

  function answer(token) {
    var name = "download-" + token + "=";
    var found = document.cookie.split("; ").filter(function (cookie) {
      return cookie.indexOf(name) === 0;
    })[0];
    return found ? found.slice(name.length) : null;
  }

  function forget(token) {
    document.cookie = "download-" + token + "=; max-age=0; path=/; samesite=strict";
  }

  function fetchFile(link, token) {
    var url = new URL(link.href, window.location.href);
    url.searchParams.set("download", token);
    var fetcher = document.createElement("a");
    fetcher.href = url.toString();
    fetcher.setAttribute("download", "");
    fetcher.setAttribute("data-fetch", "");
    document.body.appendChild(fetcher);
    fetcher.click();
    fetcher.remove();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[download]");
    if (!link || link.hasAttribute("data-fetch") || event.defaultPrevented) {
      return; // not a download, or the one this script starts
    }
    event.preventDefault();
    if (link.getAttribute("aria-disabled") === "true") {
      return; // already being made
    }
    var token = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    fetchFile(link, token);

    link.setAttribute("aria-disabled", "true");
    var note = document.createElement("span");
    note.className = "download-note";
    note.setAttribute("role", "status");
    note.textContent = document.body.dataset.preparing || "…";
    link.insertAdjacentElement("afterend", note);
    var started = Date.now();
    var timer = setInterval(function () {
      var said = answer(token);
      if (said === null && Date.now() - started < WAIT_AT_MOST_MS) {
        return;
      }
      clearInterval(timer);
      forget(token);
      link.removeAttribute("aria-disabled");
      if (said === "failed") {
        note.textContent = document.body.dataset.downloadFailed || "!";
        note.classList.add("field-error");
        setTimeout(function () { note.remove(); }, SHOW_FAILURE_MS);
      } else {
        note.remove();
      }
    }, 500);
  });
})();
