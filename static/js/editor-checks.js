/* Questionnaire editor: check codes and conditions while they are typed.
 *
 * Progressive enhancement: the form works without this file, and saving checks everything again.
 * The server answers with the messages a save would give (surveys/editor/views.py `check`), so the
 * rules are the same; option codes are also compared with the other lines of the same question here.
 * Each message goes into a live region linked to its input by aria-describedby, so screen readers hear it.
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-check-url]");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-check-url");
  var timers = {};

  function kindOf(input) {
    if (input.hasAttribute("data-check")) { return input.getAttribute("data-check"); }
    if (!input.classList.contains("editor-code")) { return null; }
    return input.name.indexOf("zeilen-") === 0 ? "zeile" : "option";
  }

  function region(input) {
    var id = input.id + "_live";
    var box = document.getElementById(id);
    if (!box) {
      box = document.createElement("div");
      box.id = id;
      box.className = "live-check small";
      box.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", box);
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      described.push(id);
      input.setAttribute("aria-describedby", described.join(" "));
    }
    return box;
  }

  function show(input, ok, messages) {
    var box = region(input);
    box.textContent = messages.join(" ");
    box.classList.toggle("live-check-error", !ok);
    input.classList.toggle("is-invalid", !ok);
    if (ok) { input.removeAttribute("aria-invalid"); } else { input.setAttribute("aria-invalid", "true"); }
  }

  function duplicateLine(input) {
    // Options and rows: unique within the question (the server compares row codes with other questions).
    var value = input.value.trim();
    var prefix = input.name.split("-")[0];
    if (!value) { return false; }
    var same = 0;
    form.querySelectorAll("input.editor-code[name^='" + prefix + "-']").forEach(function (other) {
      if (other.value.trim() === value) { same += 1; }
    });
    return same > 1;
  }

  function check(input) {
    var kind = kindOf(input);
    var value = input.value;
    if (!value.trim()) { show(input, true, []); return; }
    var params = new URLSearchParams({art: kind, wert: value, frage: form.getAttribute("data-question") || "",
                                      seite: form.getAttribute("data-page") || ""});
    fetch(url + "?" + params.toString(), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer || input.value !== value) { return; }  // failed, or typed on meanwhile
        var messages = answer.messages.slice();
        if ((kind === "option" || kind === "zeile") && duplicateLine(input)) {
          messages.push(form.getAttribute("data-duplicate").replace("%(code)s", value.trim()));
        }
        var ok = kind.indexOf("bedingung") >= 0 ? "data-ok-condition" : "data-ok-code";
        show(input, messages.length === 0, messages.length ? messages : [form.getAttribute(ok)]);
      })
      .catch(function () { /* offline: the save checks it */ });
  }

  form.addEventListener("input", function (event) {
    var input = event.target;
    if (!kindOf(input)) { return; }
    clearTimeout(timers[input.id]);
    timers[input.id] = setTimeout(function () { check(input); }, 300);
  });
})();
