// The console's few behaviours; every page works without them (plain forms and links).
"use strict";
document.addEventListener("submit", (event) => {
  // Forms that remove or revoke something ask first.
  const question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const text = document.getElementById(button.getAttribute("data-copy")).textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "✓";
  } catch {
    window.getSelection().selectAllChildren(document.getElementById(button.getAttribute("data-copy")));
  }
});
// Live lists (data-refresh="seconds") reload themselves, unless the page is in the background or
// someone is typing in it.
const live = document.querySelector("[data-refresh]");
if (live) {
  setInterval(() => {
    const typing = document.activeElement && ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
    if (!document.hidden && !typing) window.location.reload();
  }, Number(live.getAttribute("data-refresh")) * 1000);
}
