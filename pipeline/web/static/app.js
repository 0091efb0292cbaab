// hoso's only script: drag-and-drop upload with progress, word marks over page images, and a
// live inbox that keeps the keyboard's place.
// Everything else is plain forms and htmx; the pages work without this file, less these.
(function () {
  "use strict";

  function placeMarks() {
    document.querySelectorAll(".page .mark").forEach(function (mark) {
      var b = (mark.dataset.box || "").split(",").map(Number);
      if (b.length !== 4) { return; }
      mark.style.left = (b[0] * 100) + "%";
      mark.style.top = (b[1] * 100) + "%";
      mark.style.width = ((b[2] - b[0]) * 100) + "%";
      mark.style.height = ((b[3] - b[1]) * 100) + "%";
    });
  }

  function setupUpload() {
    var form = document.getElementById("upload");
    if (!form) { return; }
    var drop = document.getElementById("drop");
    var input = document.getElementById("files");
    var bar = document.getElementById("upload-progress");
    var status = document.getElementById("upload-status");
    ["dragenter", "dragover"].forEach(function (type) {
      drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("HX-Request", "true");
      xhr.setRequestHeader("X-CSRF-Token", document.body.dataset.csrf || "");
      bar.hidden = false; bar.value = 0;
      xhr.upload.addEventListener("progress", function (ev) {
        if (ev.lengthComputable) { bar.value = Math.round(100 * ev.loaded / ev.total); }
      });
      xhr.addEventListener("load", function () {
        bar.value = 100;
        if (xhr.status === 200) {
          document.getElementById("live").innerHTML = xhr.responseText;
          status.textContent = "✓ " + input.files.length + " " + (status.dataset.done || "");
          status.className = "flash";
          form.reset();
        } else {
          var box = document.createElement("div");
          box.innerHTML = xhr.responseText;
          status.textContent = box.textContent.trim() || ("HTTP " + xhr.status);
          status.className = "error";
        }
      });
      xhr.addEventListener("error", function () {
        status.textContent = "The upload was interrupted; check the connection and try again.";
        status.className = "error";
      });
      xhr.send(new FormData(form));
    });
  }

  // The live inbox refreshes itself; not while the keyboard is on one of its buttons, which the
  // refresh would replace (the focus would jump back to the top of the page).
  document.addEventListener("htmx:beforeRequest", function (e) {
    var live = document.getElementById("live");
    if (live && e.detail.elt === live && live.contains(document.activeElement)) {
      e.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { placeMarks(); setupUpload(); });
}());
