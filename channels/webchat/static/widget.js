// The embeddable widget: <script src="https://HOST/widget.js" data-parley ...></script> on any page.
// The server serves this file after client.js and the CSS (``CSS``), all in one closure. It builds
// a launcher and a panel inside a shadow root: the host page's CSS cannot reach in, ours cannot
// leak out, and the socket's Origin is the host page's own (what PARLEY_WEBCHAT__ALLOWED_ORIGINS
// is checked against). Options are the script tag's data- attributes (docs/widget.md).
(function widget(script) {
  "use strict";
  if (!script || document.querySelector("parley-chat")) return;   // pasted twice: one launcher
  const d = script.dataset, base = new URL(script.src).origin;
  const host = document.createElement("parley-chat");
  host.style.cssText = "all: initial";   // the host page's rules for every element stop here
  const shadow = host.attachShadow({mode: "open"});
  // A constructed sheet, not a <style> element: a host page whose CSP forbids inline styles
  // still shows the widget styled.
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  shadow.adoptedStyleSheets = [sheet];
  shadow.innerHTML = '<div class="pw" hidden><button type="button" class="teaser" hidden></button>' +
    '<section class="panel" id="panel" role="dialog" aria-labelledby="title" hidden></section>' +
    '<button type="button" class="launcher" aria-expanded="false" aria-controls="panel">' +
    '<svg viewBox="0 0 24 24" aria-hidden="true" class="i-open"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>' +
    '<svg viewBox="0 0 24 24" aria-hidden="true" class="i-close"><path d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z"/></svg>' +
    '<span class="badge" aria-hidden="true" hidden></span></button></div>';
  const $ = (s) => shadow.querySelector(s);
  const wrap = $(".pw"), panel = $(".panel"), launcher = $(".launcher"), badge = $(".badge"), teaser = $(".teaser");
  wrap.dataset.side = d.position === "left" ? "left" : "right";
  const get = (k) => { try { return localStorage.getItem("parley." + k); } catch { return null; } };
  const put = (k, v) => { try { localStorage.setItem("parley." + k, v); } catch { /* blocked: forgets */ } };
  let open = false, unread = Number(get("unread")) || 0;

  const chat = parleyChat({
    base, root: panel, locale: d.locale || navigator.language || "", persona: d.persona || "", color: d.color || "",
    onClose: () => setOpen(false),
    onReply: () => { if (!open) { unread += 1; put("unread", String(unread)); label(); } },
    onConfig: (cfg) => {
      wrap.lang = cfg.lang; wrap.dir = cfg.dir;
      for (const v of ["--brand", "--brand-ink"]) wrap.style.setProperty(v, panel.style.getPropertyValue(v));
      label();
    },
  });
  // The launcher says what it does and how much is waiting; the badge is its visible twin.
  function label() {
    const t = chat.t;
    badge.hidden = open || !unread;
    badge.textContent = unread > 9 ? "9+" : String(unread);
    launcher.setAttribute("aria-label", t(open ? "close" : "open") + (unread && !open ? " (" + t("unread", {count: unread}) + ")" : ""));
  }
  // quiet: opened by the page (data-open), not the visitor: the page keeps its focus.
  function setOpen(v, quiet) {
    open = v;
    panel.hidden = !v; wrap.classList.toggle("open", v); launcher.setAttribute("aria-expanded", String(v));
    if (v) { unread = 0; put("unread", "0"); teaser.hidden = true; if (!quiet) chat.input.focus(); }
    else launcher.focus();   // focus goes back where the visitor opened it from
    label();
  }
  launcher.addEventListener("click", () => setOpen(!open));
  teaser.addEventListener("click", () => setOpen(true));
  shadow.addEventListener("keydown", (e) => { if (e.key === "Escape" && open) { e.stopPropagation(); setOpen(false); } });

  // Proactive greetings: after ``after`` seconds on a page whose path matches ``url``, once per
  // visitor (remembered by id), in the visitor's language (the config's).
  function greet(cfg) {
    const done = new Set((get("greeted") || "").split(" ").filter(Boolean));
    const glob = (g) => new RegExp("^" + g.split("*").map(s => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$");
    for (const g of cfg.greetings) {
      if (done.has(g.id) || !glob(g.url).test(location.pathname)) continue;
      setTimeout(() => {
        done.add(g.id); put("greeted", [...done].join(" "));
        if (!chat.local("g-" + g.id, g.text) || open) return;
        teaser.textContent = g.text; teaser.dir = "auto"; teaser.hidden = false;
        teaser.setAttribute("aria-label", chat.t("new_message") + ": " + g.text);
      }, g.after * 1000);
    }
  }
  function mount() {
    document.body.appendChild(host);
    const start = (wait) => chat.start().then(() => {
      wrap.hidden = false; label(); greet(chat.config);
      if (d.open === "true") setOpen(true, true);
    }, (err) => {
      if (err.message === "origin") {   // refused: say why to the site's developer, show nothing
        console.error("Parley: " + location.origin + " may not embed this chat; add it to PARLEY_WEBCHAT__ALLOWED_ORIGINS");
        host.remove();
      } else setTimeout(() => start(Math.min(wait * 2, 30000)), wait);
    });
    start(1000);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})(document.currentScript);
