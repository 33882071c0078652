// Figures that refresh themselves (the dashboard's cards, table and trend, every minute) are replaced whole, and
// a "Day by day" list someone had opened closed under their eyes. A <details> with an id stays open across it.
(function () {
  "use strict";
  var open = [];

  function remember(event) {
    var target = event.detail.target;
    open = Array.prototype.map.call(target.querySelectorAll("details[open][id]"), function (details) {
      return details.id;
    });
    if (target.matches("details[open][id]")) {
      open.push(target.id);
    }
  }

  function reopen() {
    open.forEach(function (id) {
      var details = document.getElementById(id);
      if (details) {
        details.open = true;
      }
    });
    open = [];
  }

  document.addEventListener("htmx:oobBeforeSwap", remember);
  document.addEventListener("htmx:oobAfterSwap", reopen);
})();
