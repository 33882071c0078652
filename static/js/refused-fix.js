// A fix the rejects page refused comes back to its card (the address ends #member-…). The browser focuses the
// `autofocus` field, then takes the focus away again as it goes to that place: the field to put right gets it
// back here, once the page has loaded and scrolled there.
(function () {
  "use strict";

  window.addEventListener("load", function () {
    var field = document.querySelector("input[autofocus]");
    if (field && document.activeElement !== field) field.focus({ preventScroll: true });
  });
})();
