/* Concerns pages: the one-key hide-screen, the raise form's local copy of what is typed (for a
   lost connection), and the body map. No inline script: the CSP allows this file only. */
(function () {
  "use strict";

  /* --- hide the screen at once (Esc), e.g. when a pupil walks up ------------------------- */
  var cover = document.getElementById("concerns-cover");
  function toggleCover(show) {
    if (!cover) { return; }
    cover.hidden = !show;
    document.documentElement.classList.toggle("concerns-covered", show);
    if (show) { cover.focus(); }
  }
  if (cover) {
    cover.setAttribute("tabindex", "-1");
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { toggleCover(cover.hidden); }
    });
    cover.addEventListener("click", function () { toggleCover(false); });
    document.querySelectorAll("[data-hide-screen]").forEach(function (button) {
      button.addEventListener("click", function () { toggleCover(true); });
    });
  }

  /* --- the raise form: keep a copy in this browser while the server draft may fail ------- */
  var form = document.getElementById("concern-form");
  if (form && window.localStorage) {
    var key = form.getAttribute("data-local-key");
    var fields = function () {
      return Array.prototype.filter.call(form.elements, function (el) {
        return el.name && el.type !== "file" && el.type !== "hidden" && el.name !== "csrfmiddlewaretoken";
      });
    };
    var save = function () {
      var data = {};
      fields().forEach(function (el) {
        if (el.type === "radio") { if (el.checked) { data[el.name] = el.value; } }
        else { data[el.name] = el.value; }
      });
      data.body_map = (document.getElementById("id_body_map") || {}).value || "";
      data.saved_at = new Date().toISOString();
      try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* full: ignore */ }
    };
    var restore = function () {
      var text = localStorage.getItem(key);
      if (!text) { return; }
      var summary = form.elements.namedItem("summary");
      if (summary && summary.value.trim()) { return; } /* the server's draft wins */
      var data;
      try { data = JSON.parse(text); } catch (e) { return; }
      fields().forEach(function (el) {
        if (!(el.name in data)) { return; }
        if (el.type === "radio") { el.checked = el.value === data[el.name]; }
        else { el.value = data[el.name]; }
      });
      var map = document.getElementById("id_body_map");
      if (map && data.body_map) { map.value = data.body_map; }
      var status = document.getElementById("draft-status");
      if (status) { status.textContent = "Restored what you typed in this browser at " + (data.saved_at || "") + "."; }
    };
    restore();
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function () {
      /* kept until the next page shows the concern was sent */
      sessionStorage.setItem("concern-sent-key", key);
    });
    document.body.addEventListener("htmx:responseError", function () {
      var status = document.getElementById("draft-status");
      if (status) { status.textContent = "Not saved to the server (connection?): kept in this browser."; }
    });
    document.body.addEventListener("htmx:sendError", function () {
      var status = document.getElementById("draft-status");
      if (status) { status.textContent = "Offline: what you type is kept in this browser."; }
    });
  }
  var sentKey = window.sessionStorage && sessionStorage.getItem("concern-sent-key");
  if (sentKey && !form) {
    localStorage.removeItem(sentKey);
    sessionStorage.removeItem("concern-sent-key");
  }

  /* --- body map: click an outline to mark a place, describe each mark --------------------- */
  document.querySelectorAll("[data-body-map]").forEach(function (map) {
    var input = document.getElementById(map.getAttribute("data-input"));
    var list = map.querySelector("[data-body-map-list]");
    var marks = [];
    try { marks = JSON.parse(input.value || "[]"); } catch (e) { marks = []; }
    var ns = "http://www.w3.org/2000/svg";
    function draw() {
      map.querySelectorAll(".concerns-body__mark").forEach(function (dot) { dot.remove(); });
      list.innerHTML = "";
      marks.forEach(function (mark, i) {
        var svg = map.querySelector('svg[data-side="' + mark.side + '"]');
        var dot = document.createElementNS(ns, "circle");
        dot.setAttribute("cx", mark.x);
        dot.setAttribute("cy", mark.y * 2);
        dot.setAttribute("r", "3");
        dot.setAttribute("class", "concerns-body__mark");
        svg.appendChild(dot);
        var item = document.createElement("li");
        var label = document.createElement("label");
        label.className = "govuk-label";
        label.textContent = (mark.side === "front" ? "Front" : "Back") + ", mark " + (i + 1) + ": what you saw";
        var note = document.createElement("input");
        note.className = "govuk-input";
        note.value = mark.note || "";
        note.id = "body-mark-" + i;
        label.setAttribute("for", note.id);
        note.addEventListener("input", function () { mark.note = note.value; store(); });
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "app-link-button";
        remove.textContent = "Remove mark " + (i + 1);
        remove.addEventListener("click", function () { marks.splice(i, 1); store(); draw(); });
        item.appendChild(label); item.appendChild(note); item.appendChild(remove);
        list.appendChild(item);
      });
    }
    function store() {
      input.value = JSON.stringify(marks);
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    map.querySelectorAll("svg").forEach(function (svg) {
      svg.addEventListener("click", function (event) {
        var box = svg.getBoundingClientRect();
        var x = Math.round(((event.clientX - box.left) / box.width) * 1000) / 10;
        var y = Math.round(((event.clientY - box.top) / box.height) * 1000) / 10;
        marks.push({ side: svg.getAttribute("data-side"), x: x, y: y, note: "" });
        store(); draw();
        var last = document.getElementById("body-mark-" + (marks.length - 1));
        if (last) { last.focus(); }
      });
    });
    draw();
  });
})();
