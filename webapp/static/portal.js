// 政务服务专栏: every page works without this file; it only makes some things quicker.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) { event.preventDefault(); window.print(); }
});

document.addEventListener("DOMContentLoaded", () => {
  // a refused form: the error summary first, so a screen reader reads what to fix
  const summary = document.querySelector(".error-summary[tabindex]");
  if (summary) summary.focus();
  // a company, an institution or an office has a 统一社会信用代码; a person a 居民身份证
  const type = document.getElementById("ap_type");
  const cert = document.getElementById("ap_cert_type");
  if (type && cert) {
    type.addEventListener("change", () => { cert.value = type.value === "1" ? "111" : "001"; });
  }
});
