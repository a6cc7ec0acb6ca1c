// Small progressive behaviour for every page, loaded from our own origin (the Content-Security-Policy
// allows no inline script). Every page works without it.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    // an error summary (or any element marked data-focus) takes the focus, so a screen reader reads it first
    var focus = document.querySelector("[data-focus]");
    if (focus) focus.focus();
    // 打印 buttons
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    // 返回上一页 links go back in history when there is one; otherwise they follow their href
    document.querySelectorAll("a[data-back]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (window.history.length > 1) { event.preventDefault(); window.history.back(); }
      });
    });
    // the item form shows only the selected category's own fields
    var category = document.querySelector("select[name=category]");
    var extras = document.querySelectorAll("fieldset.extra[data-category]");
    if (category && extras.length) {
      var toggle = function () {
        extras.forEach(function (fs) { fs.hidden = fs.dataset.category !== category.value; });
      };
      category.addEventListener("change", toggle);
      toggle();
    }
  });
})();
