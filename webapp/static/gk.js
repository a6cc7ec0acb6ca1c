// 政府信息公开 on the workbench: the 答复书 form shows only the fields of the chosen answer type
// (elements marked data-types="type …"). The page works without it: every field is shown and the
// server says which ones the chosen type needs.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var form = document.getElementById("draft-form");
    if (!form) return;
    var select = form.querySelector("select[name=answer_type]");
    var parts = form.querySelectorAll("[data-types]");
    if (!select || !parts.length) return;
    var toggle = function () {
      parts.forEach(function (part) {
        var types = part.getAttribute("data-types").split(" ");
        part.hidden = select.value !== "" && types.indexOf(select.value) < 0;
      });
    };
    select.addEventListener("change", toggle);
    toggle();
  });
})();
