// hoso's pages work without this file; it adds drag-and-drop uploads with
// per-file progress, live batch pages and the language switch on change.
(function () {
  "use strict";

  function fmt(msg, arg) { return msg.replace("%s", arg); }

  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  document.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });

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

  // A batch page refreshes its table until every document is finished.
  var batch = document.getElementById("batch");
  if (batch && batch.dataset.done !== "true" && window.fetch && window.DOMParser) {
    var timer = setInterval(function () {
      fetch(window.location.pathname, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error(r.status); }
        return r.text();
      }).then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("batch");
        if (!next) { return; }
        batch.replaceWith(next);
        batch = next;
        if (next.dataset.done === "true") { clearInterval(timer); }
      }).catch(function () { clearInterval(timer); });
    }, 2000);
  }
})();
