// 政务服务专栏: pages work without this file; it only adds the print buttons' action.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) { event.preventDefault(); window.print(); }
});
