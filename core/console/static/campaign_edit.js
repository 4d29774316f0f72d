// The campaign editor: show the "when" fields of the chosen mode, and a live preview of each
// locale's message as it will look on each channel: the text with a sample name, its SMS
// segment count (GSM-7: 160 a message, 153 a part; anything else UCS-2: 70 and 67) and whether
// WhatsApp has the approved template it needs outside the 24-hour window.
"use strict";
(() => {
  const form = document.getElementById("editor");
  if (!form) return;
  const GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  const GSM_EXT = "^{}\\[~]|€";
  const SAMPLE = { name: "Ana Ruiz", first_name: "Ana" };
  const FILTERS = {
    upper: (v) => v.toUpperCase(), lower: (v) => v.toLowerCase(), trim: (v) => v.trim(),
    title: (v) => v.replace(/\b\w/g, (c) => c.toUpperCase()),
    capitalize: (v) => v.charAt(0).toUpperCase() + v.slice(1).toLowerCase(),
  };

  function render(text) {
    // The two fields a campaign template may print ({{ name }}, {{ first_name }}), with the same filters.
    return text.replace(/\{\{\s*(name|first_name)\s*((?:\|\s*[a-z]+(?:\([^)]*\))?\s*)*)\}\}/g, (_, field, chain) => {
      let value = SAMPLE[field];
      for (const step of chain.split("|").map((s) => s.trim()).filter(Boolean)) {
        const name = step.split("(")[0];
        if (FILTERS[name]) value = FILTERS[name](value);
      }
      return value;
    }).replace(/\{(name|first_name)\}/g, (_, field) => SAMPLE[field]);
  }

  function segments(text) {
    let units = 0;
    let gsm = true;
    for (const ch of text) {
      if (GSM.includes(ch)) units += 1;
      else if (GSM_EXT.includes(ch)) units += 2;
      else { gsm = false; break; }
    }
    if (!text) return { count: 0, encoding: "GSM-7", length: 0 };
    if (gsm) return { count: units <= 160 ? 1 : Math.ceil(units / 153), encoding: "GSM-7", length: units };
    const length = [...text].length;
    return { count: length <= 70 ? 1 : Math.ceil(length / 67), encoding: "UCS-2", length };
  }

  function update(code) {
    const box = form.querySelector(`[data-preview="${code}"]`);
    const text = render(form.querySelector(`[data-message="${code}"]`).value);
    const template = form.querySelector(`[data-template="${code}"]`).value.trim();
    box.querySelectorAll('[data-show="text"]').forEach((p) => { p.textContent = text || "…"; });
    const sms = segments(text);
    box.querySelector('[data-show="segments"]').textContent = `${sms.length} ${sms.encoding} · ${sms.count} SMS`;
    const wa = box.querySelector('[data-show="template"]');
    // The words come from the page (the locale pack's [console] table): {sid} is the template.
    wa.textContent = template ? wa.getAttribute("data-with").replace("{sid}", template) : wa.getAttribute("data-without");
    wa.classList.toggle("warn", !template && Boolean(text));
  }

  function when() {
    const mode = form.querySelector('input[name="when"]:checked').value;
    form.querySelectorAll("[data-when]").forEach((el) => { el.hidden = el.getAttribute("data-when") !== mode; });
  }

  form.addEventListener("input", (event) => {
    const code = event.target.getAttribute("data-message") || event.target.getAttribute("data-template");
    if (code) update(code);
  });
  form.addEventListener("change", (event) => { if (event.target.name === "when") when(); });
  form.querySelectorAll("[data-message]").forEach((el) => update(el.getAttribute("data-message")));
  when();
})();
