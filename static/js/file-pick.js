// File inputs shown through the page's own button (templates/_file_pick.html): the name of the file chosen, or
// that none is, in the page's language.
(function () {
  "use strict";

  function show(input) {
    var shown = input.closest(".file-pick-field").querySelector("[data-file-chosen]");
    shown.textContent = input.files && input.files.length ? input.files[0].name : shown.dataset.none;
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches(".file-pick-field input[type=file]")) show(event.target);
  });

  function showAll() {
    document.querySelectorAll(".file-pick-field input[type=file]").forEach(show);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showAll);
  } else {
    showAll();
  }
})();
