/* Follow-up questions on the same page (e.g. B2/B3 after B1): show and hide them as the
   respondent answers. Served by the app (CSP script-src 'self'); without it the server renders
   every such question with a hint, and the server alone decides what is stored and required.

   The server writes each condition as data (surveys.conditions.to_data) into data-show-if and
   the answers from earlier pages it needs into data-show-context. Evaluation follows
   surveys/conditions.py and SurveyStructure._evaluate: one pass in page order, a question's
   condition sees only the answers of questions that are shown. */
(function () {
  "use strict";
  window.RuecklaufConditions = {evaluate: evaluate};  // for tests/e2e (same results as the server)
  var form = document.querySelector("form[data-conditions]");
  if (!form || !form.querySelector("[data-show-if]")) { return; }
  var status = document.getElementById("condition-status");
  var NUMBER = /^-?\d+(?:\.\d+)?$/;

  function isEmpty(value) {
    return value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
  }
  function equal(answer, literal) {
    var text = String(answer).trim();
    if (literal.number && NUMBER.test(text)) { return Number(text) === Number(literal.value); }
    return String(answer) === literal.value;
  }
  function compare(answer, op, literal) {
    if (op === "=") { return equal(answer, literal); }
    if (op === "!=") { return !equal(answer, literal); }
    var left = String(answer), right = literal.value, text = left.trim();
    if (literal.number && NUMBER.test(text)) { left = Number(text); right = Number(literal.value); }
    if (op === "<") { return left < right; }
    if (op === "<=") { return left <= right; }
    if (op === ">") { return left > right; }
    return left >= right;
  }
  function asList(value) { return Array.isArray(value) ? value : [value]; }
  function evaluate(node, answers) {
    var i;
    if (node.op === "or" || node.op === "and") {
      for (i = 0; i < node.items.length; i++) {
        var result = evaluate(node.items[i], answers);
        if (node.op === "or" && result) { return true; }
        if (node.op === "and" && !result) { return false; }
      }
      return node.op === "and";
    }
    if (node.op === "not") { return !evaluate(node.item, answers); }
    var value = answers[node.var];
    if (node.op === "answered") { return !isEmpty(value); }
    if (isEmpty(value)) { return false; }
    if (node.op === "contains" || node.op === "in") {
      return asList(value).some(function (v) { return node.values.some(function (lit) { return equal(v, lit); }); });
    }
    if (Array.isArray(value)) { return false; }
    return compare(value, node.op, node.values[0]);
  }

  function valuesIn(fieldset) {
    var values = {};
    fieldset.querySelectorAll("input[name], textarea[name], select[name]").forEach(function (control) {
      var name = control.name;
      if (control.type === "checkbox") {
        values[name] = values[name] || [];
        if (control.checked) { values[name].push(control.value); }
      } else if (control.type === "radio") {
        if (!(name in values)) { values[name] = ""; }
        if (control.checked) { values[name] = control.value; }
      } else {
        values[name] = control.value.trim();
      }
    });
    return values;
  }

  var questions = Array.prototype.slice.call(form.querySelectorAll("fieldset.question"));
  questions.forEach(function (fieldset) {
    if (!fieldset.dataset.showIf) { return; }
    fieldset.condition = JSON.parse(fieldset.dataset.showIf);
    fieldset.context = JSON.parse(fieldset.dataset.showContext || "{}");
    // The hint is for pages without JavaScript; here the question simply appears when it applies.
    var hint = "cond-" + fieldset.id.replace(/^q-/, "");
    var described = (fieldset.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
      return id && id !== hint;
    });
    if (described.length) { fieldset.setAttribute("aria-describedby", described.join(" ")); }
    else { fieldset.removeAttribute("aria-describedby"); }
  });
  document.documentElement.classList.add("js-conditions");

  function legendText(fieldset) {
    var legend = fieldset.querySelector("legend span");
    return legend ? legend.textContent.trim() : "";
  }

  function update(announce, origin) {
    var effective = {}, shownNow = [], hiddenNow = [];
    questions.forEach(function (fieldset) {
      var shown = true;
      if (fieldset.condition) {
        var answers = Object.assign({}, fieldset.context, effective);
        shown = evaluate(fieldset.condition, answers);
        if (fieldset.hidden === shown) {
          (shown ? shownNow : hiddenNow).push(legendText(fieldset));
          if (!shown && fieldset.contains(document.activeElement) && origin) { origin.focus(); }
          fieldset.hidden = !shown;
          fieldset.disabled = !shown;  // a hidden question sends nothing
          fieldset.classList.toggle("revealed", shown);
        }
      }
      if (shown) { Object.assign(effective, valuesIn(fieldset)); }
    });
    if (announce && status && (shownNow.length || hiddenNow.length)) {
      var parts = [];
      if (shownNow.length) { parts.push(status.dataset.shown + " " + shownNow.join("; ")); }
      if (hiddenNow.length) { parts.push(status.dataset.hidden + " " + hiddenNow.join("; ")); }
      status.textContent = parts.join(" ");
    }
  }

  questions.forEach(function (fieldset) {
    if (fieldset.condition) { fieldset.hidden = false; }  // start from "shown", then evaluate
  });
  update(false, null);
  form.addEventListener("change", function (event) { update(true, event.target); });
  form.addEventListener("input", function (event) {
    if (event.target.type !== "radio" && event.target.type !== "checkbox") { update(true, event.target); }
  });
})();
