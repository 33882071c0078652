// Operator console: one key per outcome. Keys are ignored while typing a note or a time.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].indexOf(target.tagName) >= 0);
  }

  function openCallback() {
    var details = document.querySelector("[data-callback]");
    if (!details) return;
    details.open = true;
    var when = details.querySelector("input[type=datetime-local]");
    if (when) when.focus();
  }

  // Enter in a form field submits the form's first button, which is Yes; in the call-back box it means "save".
  function saveCallback(event) {
    var details = event.target.tagName === "INPUT" && event.target.closest("[data-callback]");
    if (!details) return false;
    event.preventDefault();
    details.querySelector('button[value="call_back"]').click();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && typing(event.target)) {
      event.target.blur();
      return;
    }
    if (event.key === "Enter" && saveCallback(event)) return;
    // A key held down repeats: without this it would mark every member that comes up while it is held.
    if (typing(event.target) || event.repeat) return;
    var key = event.key.toLowerCase();
    if (key === "l") {
      event.preventDefault();
      openCallback();
      return;
    }
    var button = document.querySelector('#console button[data-key="' + key + '"]');
    if (button && !button.disabled) {
      event.preventDefault();
      button.click();
    }
  });

  // The server answers a form with errors (a call-back time in the past) with 422; show it like any answer.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
