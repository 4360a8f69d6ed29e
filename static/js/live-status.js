/* Work in progress on a staff page (result tables, exports) without a timed refresh (WCAG 2.2.1).

   The server renders exports/_live_status.html: a status text, a "Status aktualisieren" link that
   reloads the page by hand, and data-status-url, a small JSON status ({active, text, state,
   progress}). This script (served by the app, CSP script-src 'self') asks for that status every
   few seconds and
   - writes a new status text into the box's live region (role=status, aria-live=polite), so a
     screen reader hears it without the focus moving;
   - updates [data-live-progress] (a <progress> and its text) in place;
   - when the state differs from the page's (the work finished or moved on), fetches the page again
     and replaces what is out of date: the page's [data-live-content] regions, else all of <main>.
     The box itself stays (the live region a screen reader follows), the element that had the focus
     gets it back, and what someone had typed into a form there is kept.
   Without JavaScript, nothing of this runs and the link does the same by hand. */
(function () {
  "use strict";
  var INTERVAL = 3000, MAX_INTERVAL = 30000;
  var box = document.querySelector("[data-live-status]");
  if (!box || !window.fetch || !window.DOMParser) { return; }
  var live = box.querySelector("[data-live-text]");
  var interval = INTERVAL, failures = 0, timer = null, busy = false;

  box.querySelectorAll("[data-live-manual]").forEach(function (el) { el.hidden = true; });
  box.querySelectorAll("[data-live-auto]").forEach(function (el) { el.hidden = false; });

  function say(text) {
    if (text && live.textContent.trim() !== text) { live.textContent = text; }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(poll, interval);
  }

  function poll() {
    if (busy) { return; }
    if (document.hidden) { schedule(); return; }  // a tab in the background asks again when shown
    busy = true;
    fetch(box.dataset.statusUrl, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();  // a login page after the session ended is no JSON: an error
      })
      .then(function (data) {
        failures = 0;
        interval = INTERVAL;
        progress(data.progress);
        if (data.state !== box.dataset.state) {
          return replace(data);
        }
        say(data.text);
        return data;
      })
      .then(function (data) {
        busy = false;
        if (data && data.active) { schedule(); }
      })
      .catch(function () {
        busy = false;
        failures += 1;
        if (failures >= 3) { say(box.dataset.errorText); }
        interval = Math.min(interval * 2, MAX_INTERVAL);
        schedule();
      });
  }

  function progress(value) {
    if (typeof value !== "number") { return; }
    document.querySelectorAll("[data-live-progress]").forEach(function (el) {
      if (el.tagName === "PROGRESS") { el.value = value; } else { el.textContent = value + " %"; }
    });
  }

  /* How to find the focused element again in the new content: its id, else what it points to. */
  function focusKey(region) {
    var el = document.activeElement;
    if (!el || el === document.body || !region.contains(el) || box.contains(el)) { return null; }
    return {id: el.id, tag: el.tagName, href: el.getAttribute("href"), name: el.getAttribute("name"),
            value: el.getAttribute("value"), text: el.textContent.trim()};
  }

  function findAgain(key, region) {
    if (key.id) { return document.getElementById(key.id); }
    var candidates = region.querySelectorAll(key.tag);
    for (var i = 0; i < candidates.length; i++) {
      var el = candidates[i];
      if (el.getAttribute("href") === key.href && el.getAttribute("name") === key.name &&
          el.getAttribute("value") === key.value && el.textContent.trim() === key.text) { return el; }
    }
    return null;
  }

  /* Values typed or chosen since the page loaded, by control id: they survive the replacement. */
  function changedValues(region) {
    var changed = [];
    region.querySelectorAll("input[id], textarea[id], select[id]").forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked !== el.defaultChecked) { changed.push([el.id, "checked", el.checked]); }
      } else if (el.tagName === "SELECT") {
        var dirty = Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
        if (dirty) { changed.push([el.id, "value", el.value]); }
      } else if (el.type !== "hidden" && el.type !== "file" && el.value !== el.defaultValue) {
        changed.push([el.id, "value", el.value]);
      }
    });
    return changed;
  }

  function replace(data) {
    return fetch(box.dataset.pageUrl, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("page " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        doc.querySelectorAll("script").forEach(function (s) { s.remove(); });
        var regions = document.querySelectorAll("[data-live-content]");
        if (!regions.length) { regions = [document.querySelector("main")]; }
        var boxFocus = box.contains(document.activeElement) ? document.activeElement : null;
        Array.prototype.forEach.call(regions, function (region) {
          var incoming = region.id && region.tagName !== "MAIN" ? doc.getElementById(region.id) : doc.querySelector("main");
          if (!incoming) { return; }
          var key = focusKey(region), values = changedValues(region);
          var holdsBox = region.contains(box);
          var fragment = document.createDocumentFragment();
          Array.prototype.forEach.call(incoming.childNodes, function (node) {
            fragment.appendChild(document.importNode(node, true));
          });
          var newBox = fragment.querySelector("[data-live-status]");
          if (holdsBox) {
            box.remove();
            if (newBox) {
              newBox.parentNode.replaceChild(box, newBox);  // the same live region, in its new place
            } else {  // the work is done: the box says so where the page's messages stand
              var messages = fragment.querySelector(".messages");
              fragment.insertBefore(box, messages ? messages.nextSibling : fragment.firstChild);
            }
          } else if (newBox) {
            newBox.remove();
          }
          region.replaceChildren(fragment);
          values.forEach(function (v) {
            var el = document.getElementById(v[0]);
            if (el) { el[v[1]] = v[2]; }
          });
          var target = key && findAgain(key, region);
          if (target) { target.focus({preventScroll: true}); }
        });
        if (boxFocus && document.activeElement !== boxFocus) { boxFocus.focus({preventScroll: true}); }
        var title = doc.querySelector("title");
        if (title) { document.title = title.textContent; }
        box.dataset.state = data.state;
        if (!data.active) {
          box.classList.remove("alert-info");
          box.classList.add("alert-success");
          box.querySelectorAll("[data-live-auto]").forEach(function (el) { el.hidden = true; });
          var reload = box.querySelector("[data-live-reload]");
          if (reload && reload !== document.activeElement) { reload.hidden = true; }
        }
        // after the move, so that the region announces the new text
        setTimeout(function () { say(data.active ? data.text : data.text + " " + box.dataset.updatedText); }, 50);
        return data;
      });
  }

  schedule();
})();
