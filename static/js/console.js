// Operator console: one key per outcome, T for the note. Keys are ignored while typing a note or a time.
(function () {
  "use strict";

  // Fields keys type into. Not a checkbox ("keep this call-back for me"): with it focused, N must still mean No.
  var TEXT_INPUTS = ["text", "search", "tel", "number", "email", "url", "password", "date", "time", "datetime-local"];

  function typing(target) {
    if (!target) return false;
    if (target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
    return target.tagName === "INPUT" && TEXT_INPUTS.indexOf(target.type) >= 0;
  }

  function openCallback() {
    var details = document.querySelector("[data-callback]");
    if (!details) return;
    details.open = true;
    var when = details.querySelector("input[type=datetime-local]");
    if (when) when.focus();
  }

  // A time picked with one click ("This evening · 18:00") goes into the time box, ready for Enter to save.
  document.addEventListener("click", function (event) {
    var choice = event.target.closest && event.target.closest("[data-call-back-at]");
    if (!choice) return;
    var when = choice.closest("[data-callback]").querySelector("input[type=datetime-local]");
    when.value = choice.dataset.callBackAt;
    when.focus();
  });

  // Enter in a form field submits the form's first button, which is Yes; in the call-back box it means "save".
  function saveCallback(event) {
    var details = event.target.tagName === "INPUT" && event.target.closest("[data-callback]");
    if (!details) return false;
    event.preventDefault();
    details.querySelector('button[value="call_back"]').click();
    return true;
  }

  // A new member is shown: outcome keys wait a moment, so a key pressed twice by mistake does not mark a
  // member the operator has not even seen. The console says when it takes keys again (data-ready).
  var PAUSE_MS = 500;
  var shownAt = 0;

  function memberShown() {
    var console_ = document.getElementById("console");
    if (!console_) return;
    shownAt = Date.now();
    delete console_.dataset.ready;
    setTimeout(function () {
      if (console_.isConnected) console_.dataset.ready = "";
    }, PAUSE_MS);
    // On a phone the button pressed may be far down the page: bring the new member's name into view, or what
    // the console says above it (an undo, a refusal), which would otherwise be scrolled off the top.
    var top = document.querySelector("#console .messages") || document.getElementById("member-name");
    if (top && top.getBoundingClientRect().top < 0) top.scrollIntoView({ block: "start" });
  }

  // The old console went with the swap, and the focus with it, to <body>: Tab started again from the top of the
  // page and a screen reader said nothing of the new member. The member's name takes the focus instead; keys
  // still mark, as they are read on the whole page and a heading is no field to type into. Not when the focus
  // is somewhere still: htmx gives it back to the field of the same id when the page comes back with it (a
  // call-back time refused, a note being typed), and focus outside the console (the language switch) stays.
  function focusMember() {
    var active = document.activeElement;
    if (active && active !== document.body) return;
    var name = document.getElementById("member-name");
    // Without scrolling: memberShown() has brought into view what must be seen (what the console says, first).
    if (name) name.focus({ preventScroll: true });
  }

  // The note: counted as it is typed, and kept in this tab across a reload (switching the language, F5) until
  // its outcome is saved.
  var NOTE_KEY = "console-note:";

  // Whose note it is too: after a session ran out, the next person to log in in this tab may get the member.
  function noteKey(form) {
    var console_ = document.getElementById("console");
    return NOTE_KEY + (console_ ? console_.dataset.operator : "") + ":" + form.elements.member.value;
  }

  function countNote(note) {
    var counter = note.form.querySelector("[data-note-count]");
    if (!counter) return;
    // Counted as the server counts, in NFC, where a pasted "ज़" (one character) becomes two.
    var length = Array.from(note.value.normalize("NFC")).length;
    var limit = Number(counter.dataset.limit);
    counter.textContent = length + "/" + limit;
    counter.classList.toggle("field-error", length > limit);
    counter.hidden = false;
  }

  // Storage may be switched off or full: then a note is simply not kept across a reload.
  function keepNote(note) {
    try {
      if (note.value) sessionStorage.setItem(noteKey(note.form), note.value);
      else sessionStorage.removeItem(noteKey(note.form));
    } catch (e) {}
  }

  function forgetNote(form) {
    try {
      sessionStorage.removeItem(noteKey(form));
    } catch (e) {}
  }

  function restoreNote() {
    var form = document.querySelector("#console [data-console-form]");
    if (!form) return;
    var note = form.elements.note;
    try {
      var kept = sessionStorage.getItem(noteKey(form));
      // A note the page brings wins: the one refused with a call-back time, or the one of an undone call.
      if (kept && !note.value) note.value = kept;
    } catch (e) {}
    keepNote(note);  // one the page brings is kept across a reload too, as one typed is
    countNote(note);
  }

  // Logging out: notes not sent stay with no one. The next person in this tab may get the same member.
  document.addEventListener("submit", function (event) {
    if (!event.target.matches("[data-logout]")) return;
    try {
      Object.keys(sessionStorage).forEach(function (key) {
        if (key.indexOf(NOTE_KEY) === 0) sessionStorage.removeItem(key);
      });
    } catch (e) {}
  });

  document.addEventListener("input", function (event) {
    var note = event.target;
    if (note.name !== "note" || !note.closest("[data-console-form]")) return;
    countNote(note);
    keepNote(note);
  });

  // An outcome answered 2xx, before htmx swaps in the next member or follows a redirect: the note went with it
  // (or the member is no longer this operator's), so a reload must not bring it back. Except a redirect away
  // from the console, to the login page when the session ran out: nothing was saved, and the note is shown
  // again with the member once the operator has logged in.
  function leavesConsole(xhr) {
    var to = xhr.getResponseHeader("HX-Redirect");
    return Boolean(to) && new URL(to, window.location.href).pathname !== window.location.pathname;
  }

  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var form = event.detail.elt;
    var xhr = event.detail.xhr;
    if (!form.matches("[data-console-form]") || xhr.status < 200 || xhr.status >= 300) return;
    if (!leavesConsole(xhr)) forgetNote(form);
  });

  function showError(text) {
    var box = document.querySelector("#console .console-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
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
    // By the key's place on the keyboard: with a Hindi layout (InScript) the Y key types "ब", not "y".
    var key = /^Key[A-Z]$/.test(event.code) ? event.code.slice(3).toLowerCase() : event.key.toLowerCase();
    if (key === "l") {
      event.preventDefault();
      openCallback();
      return;
    }
    var note = key === "t" && document.querySelector("#console [data-console-form] textarea[name=note]");
    if (note) {
      event.preventDefault();  // the T itself is not typed into the note
      note.focus();
      return;
    }
    var button = document.querySelector('#console button[data-key="' + key + '"]');
    if (button && Date.now() - shownAt < PAUSE_MS) {
      event.preventDefault();
      return;
    }
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

  document.addEventListener("htmx:afterSwap", memberShown);
  document.addEventListener("htmx:afterSwap", focusMember);
  document.addEventListener("htmx:afterSwap", restoreNote);

  // Any other refusal or a lost connection: nothing was saved, and the operator must be told so, not left
  // looking at the same member. A 403 (the page's security token is stale) or 404 needs a reload; a server
  // error or an overloaded server (5xx) needs only the key again. The console's own checks in the background
  // (data-background) saved nothing either way: one that fails is simply asked again later.
  function background(event) {
    return event.detail.elt && event.detail.elt.hasAttribute("data-background");
  }

  document.addEventListener("htmx:responseError", function (event) {
    var console_ = document.getElementById("console");
    if (!console_ || background(event)) return;
    var status = event.detail.xhr.status;
    showError(status >= 500 ? console_.dataset.serverBusy : console_.dataset.notSaved);
  });
  document.addEventListener("htmx:sendError", function (event) {
    var console_ = document.getElementById("console");
    if (console_ && !background(event)) showError(console_.dataset.offline);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", memberShown);
    document.addEventListener("DOMContentLoaded", restoreNote);
  } else {
    memberShown();
    restoreNote();
  }
})();
