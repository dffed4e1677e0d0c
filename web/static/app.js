// hoso's pages work without this file; it adds drag-and-drop uploads with
// per-file progress, and live parts of pages (a batch's documents, rules
// being applied) that refresh in place, keeping the keyboard focus.
(function () {
  "use strict";

  function fmt(msg, arg) { return msg.replace("%s", arg); }

  document.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
  // On a narrow screen, search facets come after the hits, folded.
  if (window.matchMedia && window.matchMedia("(max-width: 40em)").matches) {
    document.querySelectorAll("details[data-collapse-narrow]").forEach(function (el) { el.open = false; });
  }

  // Uploads: files from the pickers and from drops (folders walked), sent
  // as one multipart request; progress per file from the bytes sent.
  var form = document.getElementById("upload");
  if (form && window.FormData && window.XMLHttpRequest) {
    var dropped = [];
    var drop = form.querySelector("[data-drop]");
    var list = document.getElementById("progress");

    function walk(entry, path, out) {
      return new Promise(function (resolve) {
        if (entry.isFile) {
          entry.file(function (f) { out.push({ file: f, name: path + f.name }); resolve(); }, resolve);
        } else if (entry.isDirectory) {
          var reader = entry.createReader(), all = [];
          (function more() {
            reader.readEntries(function (ents) {
              if (!ents.length) {
                Promise.all(all.map(function (e) { return walk(e, path + entry.name + "/", out); })).then(resolve);
                return;
              }
              all = all.concat(Array.prototype.slice.call(ents));
              more();
            }, resolve);
          })();
        } else {
          resolve();
        }
      });
    }

    function show(items) {
      list.textContent = "";
      items.forEach(function (it) {
        var li = document.createElement("li");
        var label = document.createElement("span");
        label.textContent = it.name;
        var bar = document.createElement("progress");
        bar.max = it.file.size || 1;
        bar.value = 0;
        bar.setAttribute("aria-label", it.name);
        var state = document.createElement("span");
        state.className = "help";
        state.textContent = form.dataset.msgWaiting;
        li.append(label, bar, state);
        list.append(li);
        it.bar = bar;
        it.state = state;
      });
    }

    function chosen() {
      var items = dropped.slice();
      form.querySelectorAll("input[type=file]").forEach(function (input) {
        Array.prototype.forEach.call(input.files, function (f) {
          items.push({ file: f, name: f.webkitRelativePath || f.name });
        });
      });
      return items;
    }

    form.querySelectorAll("input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () { show(chosen()); });
    });
    ["dragenter", "dragover"].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
    drop.addEventListener("drop", function (e) {
      e.preventDefault();
      drop.classList.remove("over");
      var entries = Array.prototype.map.call(e.dataTransfer.items || [], function (it) {
        return it.webkitGetAsEntry ? it.webkitGetAsEntry() : null;
      }).filter(Boolean);
      var out = [];
      var done = entries.length
        ? Promise.all(entries.map(function (en) { return walk(en, "", out); }))
        : Promise.resolve(Array.prototype.forEach.call(e.dataTransfer.files, function (f) { out.push({ file: f, name: f.name }); }));
      done.then(function () { dropped = dropped.concat(out); show(chosen()); });
    });

    form.addEventListener("submit", function (e) {
      var items = chosen();
      if (!items.length) {
        e.preventDefault();
        list.textContent = form.dataset.msgNofiles;
        return;
      }
      e.preventDefault();
      show(items);
      var data = new FormData();
      data.append("name", form.elements.name.value);
      var dep = form.elements.department;
      if (dep && dep.value) { data.append("department", dep.value); }
      items.forEach(function (it) { data.append("files", it.file, it.name); });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/batches");
      xhr.responseType = "json";
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      xhr.upload.addEventListener("progress", function (ev) {
        // Parts go in order: a file is done once the bytes before its
        // end have gone out (form overhead is small against files).
        var sent = ev.loaded, start = 0;
        items.forEach(function (it) {
          var size = it.file.size;
          var v = Math.max(0, Math.min(size, sent - start));
          it.bar.value = v;
          it.state.textContent = v >= size ? form.dataset.msgSent : (v > 0 ? fmt(form.dataset.msgSending, Math.round(100 * v / (size || 1)) + "%") : form.dataset.msgWaiting);
          start += size;
        });
      });
      xhr.addEventListener("load", function () {
        var body = xhr.response || {};
        if (xhr.status === 201 && body.batch) {
          window.location.assign("/batches/" + body.batch.id);
          return;
        }
        button.disabled = false;
        var msg = body.error ? body.error.message : String(xhr.status);
        list.insertAdjacentHTML("afterbegin", "<li class=\"error\" role=\"alert\"></li>");
        list.firstChild.textContent = fmt(form.dataset.msgFailed, msg);
      });
      xhr.addEventListener("error", function () {
        button.disabled = false;
        list.insertAdjacentHTML("afterbegin", "<li class=\"error\" role=\"alert\"></li>");
        list.firstChild.textContent = fmt(form.dataset.msgFailed, "network");
      });
      xhr.send(data);
    });
  }

  // patch brings old up to date with next without touching the element
  // that has the focus: subtrees without it are replaced when they
  // differ, the one with it is patched child by child.
  function patch(old, next) {
    var active = document.activeElement;
    if (!old.contains(active) || old.childNodes.length !== next.childNodes.length || old.nodeName !== next.nodeName) {
      if (!old.contains(active)) {
        old.replaceWith(next);
        return next;
      }
    }
    Array.prototype.forEach.call(next.attributes, function (a) {
      if (old.getAttribute(a.name) !== a.value) { old.setAttribute(a.name, a.value); }
    });
    var n = Math.min(old.childNodes.length, next.childNodes.length);
    for (var i = 0; i < n; i++) {
      var o = old.childNodes[i], x = next.childNodes[i];
      if (o.nodeType === 3 && x.nodeType === 3) {
        if (o.nodeValue !== x.nodeValue) { o.nodeValue = x.nodeValue; }
      } else if (o.nodeType === 1 && x.nodeType === 1 && o.contains(active)) {
        patch(o, x);
      } else if (!(o.isEqualNode && o.isEqualNode(x))) {
        old.replaceChild(x.cloneNode(true), o);
      }
    }
    for (var j = old.childNodes.length - 1; j >= n; j--) { old.removeChild(old.childNodes[j]); }
    for (var k = n; k < next.childNodes.length; k++) { old.appendChild(next.childNodes[k].cloneNode(true)); }
    return old;
  }

  // A flag decision offers only the reasons that fit the chosen status
  // (the server refuses the others all the same).
  document.querySelectorAll("select[data-reasons-for]").forEach(function (sel) {
    var form = sel.form;
    function fit() {
      var chosen = form.querySelector('input[name="' + sel.dataset.reasonsFor + '"]:checked');
      sel.querySelectorAll("optgroup[data-status]").forEach(function (g) {
        var ok = !chosen || g.dataset.status === chosen.value;
        g.disabled = !ok;
        g.hidden = !ok;
      });
      var opt = sel.options[sel.selectedIndex];
      if (opt && opt.parentNode.disabled) { sel.value = ""; }
    }
    form.querySelectorAll('input[name="' + sel.dataset.reasonsFor + '"]').forEach(function (r) {
      r.addEventListener("change", fit);
    });
    fit();
  });

  // Live parts of a page (data-live, with an id) refresh every two seconds
  // until they say they are done.
  document.querySelectorAll("[data-live][id]").forEach(function (el) {
    if (el.dataset.done === "true" || !window.fetch || !window.DOMParser) { return; }
    var timer = setInterval(function () {
      fetch(window.location.pathname + window.location.search, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error(r.status); }
        return r.text();
      }).then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById(el.id);
        if (!next) { return; }
        el = patch(el, next);
        if (next.dataset.done === "true") { clearInterval(timer); }
      }).catch(function () { clearInterval(timer); });
    }, 2000);
  });
})();
