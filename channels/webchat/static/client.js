// The conversation panel shared by the /chat page and the embedded widget (widget.js): its
// markup, the socket to /chat/ws, the transcript and outbox kept in localStorage, buttons, and the
// branding and words from GET /widget/config. The page loads this file as is; the server wraps it
// with widget.js in one closure for the widget, so nothing leaks into a host page's globals.
function parleyChat(o) {
  "use strict";
  // o: {base, root, heading, locale, persona, color, link, onConfig(cfg), onLocale(lang, dir), onReply(isGreeting), onClose}
  const K = "parley.";
  const get = (k) => { try { return localStorage.getItem(K + k); } catch { return null; } };
  const put = (k, v) => { try { localStorage.setItem(K + k, v); } catch { /* storage full or blocked */ } };
  const json = (k, d) => { try { return JSON.parse(get(k) || "null") ?? d; } catch { return d; } };
  // Message ids from the browser's CSPRNG: randomUUID where the page is a secure context,
  // getRandomValues (available on plain-HTTP pages too) elsewhere. Never Math.random.
  const newId = () => crypto.randomUUID ? crypto.randomUUID().replace(/-/g, "")
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, "0")).join("");
  const root = o.root, h = o.heading || "h2";
  root.classList.add("parley");
  root.innerHTML = '<header class="head"><span class="avatar" aria-hidden="true"></span><div class="who"><div class="row"><' +
    h + ' class="title" id="title"></' + h + '><span id="status" class="status" role="status" data-state="offline"></span>' +
    '</div></div><img class="logo" alt="" hidden>' +
    '<button type="button" class="close" hidden><span aria-hidden="true">×</span></button><p class="sub"></p></header>' +
    '<div id="log" class="log" role="log" aria-live="polite"></div><form class="form" autocomplete="off">' +
    '<label for="input" class="sr-only"></label><textarea id="input" dir="auto" rows="1" maxlength="4000" required>' +
    '</textarea><button type="submit" class="send"></button></form>';
  const $ = (s) => root.querySelector(s);
  const log = $(".log"), input = $("textarea"), status = $(".status"), form = $("form");
  let cfg = null, ws = null, delay = 500, typingEl = null, state = "connecting";
  let cid = get("cid") || "", token = get("token") || "";
  const MAX_RESENDS = 5;   // a message never acknowledged after this many reconnects is given up
  let transcript = json("transcript", []), outbox = json("outbox", []);   // outbox: sent, not yet acknowledged
  const seen = new Set(transcript.filter(m => m.id).map(m => m.id));
  const t = (k, v) => (cfg && cfg.strings[k] || "").replace(/\{(\w+)\}/g, (_, n) => v && n in v ? v[n] : "");
  const save = () => { put("transcript", JSON.stringify(transcript.slice(-200))); put("outbox", JSON.stringify(outbox)); };
  const scroll = () => { log.scrollTop = log.scrollHeight; };

  function bubble(m) {
    const hint = $("#empty");
    if (hint) hint.remove();  // the conversation has begun
    const el = document.createElement("div");
    el.className = "msg " + m.role + (m.pending ? " pending" : "") + (m.failed ? " failed" : "");
    if (m.failed) el.title = t("not_sent");
    // dir="auto" isolates each message: an Arabic sentence ends (full stop and all) at its left
    // end, an English one in an Arabic panel at its right, whatever the panel's direction.
    el.dir = m.dir || "auto";
    if (m.lang) el.lang = m.lang;
    el.textContent = m.text;
    if (m.id) el.dataset.id = m.id;
    log.appendChild(el);
    if (m.buttons && m.buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      row.setAttribute("role", "group");
      for (const b of m.buttons) {
        const btn = document.createElement("button");
        btn.type = "button"; btn.textContent = b.title; btn.dir = "auto";
        // A choice is made once: the row is disabled after use (kept across reloads), and the
        // chosen one says so to screen readers.
        if (m.used !== undefined) { btn.disabled = true; btn.setAttribute("aria-pressed", String(m.used === b.payload)); }
        btn.addEventListener("click", () => {
          m.used = b.payload;
          row.querySelectorAll("button").forEach(x => { x.disabled = true; x.setAttribute("aria-pressed", String(x === btn)); });
          input.focus();   // a disabled button drops the focus: keep it in the panel (Escape still closes)
          send({type: "button", payload: b.payload, title: b.title}, b.title);
        });
        row.appendChild(btn);
      }
      log.appendChild(row);
    }
    scroll();
    return el;
  }
  function render() {
    log.textContent = "";
    if (!transcript.length) {  // a first visit: say what this is instead of a blank panel
      const hint = document.createElement("p");
      hint.className = "empty"; hint.id = "empty"; hint.textContent = t("empty_hint");
      log.appendChild(hint);
    }
    transcript.forEach(bubble);
  }
  function showState(s) { state = s; status.dataset.state = s === "online" ? "online" : "offline"; status.textContent = t(s); }
  function showTyping(on) {
    if (on && !typingEl) { typingEl = document.createElement("div"); typingEl.className = "typing"; typingEl.textContent = t("typing"); log.appendChild(typingEl); }
    if (!on && typingEl) { typingEl.remove(); typingEl = null; }
    scroll();
  }
  function transmit(frame) { if (ws && ws.readyState === 1) ws.send(JSON.stringify({...frame, tries: undefined})); }
  // The server refused this message for good (malformed, too fast, bad id): never send it again.
  function drop(id, code) {
    outbox = outbox.filter(x => x.id !== id);
    const m = transcript.find(x => x.id === "u-" + id); if (m) { delete m.pending; m.failed = true; }
    const el = log.querySelector('[data-id="u-' + id + '"]');
    // Why, when the reason is the visitor's to act on (slow down); else just "Not sent".
    if (el) { el.classList.remove("pending"); el.classList.add("failed"); el.title = t(code === "rate_limited" ? code : "not_sent"); }
    save();
  }
  function resendAll() {
    outbox.forEach(x => { x.tries = (x.tries || 0) + 1; });
    outbox.filter(x => x.tries > MAX_RESENDS).forEach(x => drop(x.id));
    outbox.forEach(transmit); save();
  }
  function send(frame, shown) {
    frame.id = newId();
    outbox.push(frame);
    transcript.push({role: "user", text: shown, id: "u-" + frame.id, pending: true});
    bubble(transcript[transcript.length - 1]);
    save(); transmit(frame);
  }
  // A message from this side of the conversation only (a proactive greeting): kept in the
  // transcript, shown once (its id), never sent to the server.
  function local(id, text) {
    if (seen.has(id)) return false;
    seen.add(id);
    const m = {role: "bot", text, id, dir: cfg.dir, lang: cfg.lang};
    transcript.push(m); bubble(m); save();
    if (o.onReply) o.onReply(true);
    return true;
  }
  function onFrame(ev) {
    let f; try { f = JSON.parse(ev.data); } catch { return; }
    if (f.type === "welcome") {
      if (f.cid && f.cid !== cid) { cid = f.cid; put("cid", cid); }
      if (f.token && f.token !== token) { token = f.token; put("token", token); }
      showState("online"); delay = 500; resendAll();
    } else if (f.type === "ack") {
      outbox = outbox.filter(x => x.id !== f.id);
      const m = transcript.find(x => x.id === "u-" + f.id); if (m) delete m.pending;
      const el = log.querySelector('[data-id="u-' + f.id + '"]'); if (el) el.classList.remove("pending");
      save();
    } else if (f.type === "typing") { showTyping(true); setTimeout(() => showTyping(false), 8000); }
    else if (f.type === "stream") {               // a draft growing as the model writes
      showTyping(false);
      let el = log.querySelector('[data-stream="' + f.id + '"]');
      if (!el) { el = bubble({role: "bot", text: ""}); el.dataset.stream = f.id; }
      el.textContent += f.text; scroll();
    } else if (f.type === "reply") {
      showTyping(false);
      if (f.id && seen.has(f.id)) return;       // a resend after a server restart: shown once
      if (f.id) seen.add(f.id);
      // The final form of a streamed draft takes the draft's place (one message, not two).
      if (f.replaces) log.querySelectorAll('[data-stream="' + f.replaces + '"]').forEach(d => d.remove());
      const m = {role: "bot", text: f.text, id: f.id, buttons: f.buttons, dir: f.dir, lang: f.lang};
      transcript.push(m); bubble(m); save();
      // The panel follows the language of the latest reply: its direction at once, its own
      // words when the config in that language arrives.
      if (f.lang) setLang(f.lang, f.dir);
      if (f.lang && cfg && f.lang !== cfg.lang) configure(f.lang).catch(() => {});
      if (o.onReply) o.onReply(false);
    } else if (f.type === "error" && f.code === "unavailable") {
      if (f.id) setTimeout(() => outbox.forEach(transmit), 2000);
      else ws.close();                              // hello not answered yet: reconnect later
    } else if (f.type === "error" && f.id) drop(f.id, f.code);
  }
  function connect() {
    ws = new WebSocket(o.base.replace(/^http/, "ws") + "/chat/ws");
    ws.onopen = () => ws.send(JSON.stringify({type: "hello", cid, token, locale: o.locale || cfg.lang, persona: cfg.persona}));
    ws.onmessage = onFrame;
    ws.onclose = () => { showState("reconnecting"); setTimeout(connect, delay); delay = Math.min(delay * 2, 10000); };
  }
  function setLang(lang, dir) {
    root.lang = lang; root.dir = dir === "rtl" ? "rtl" : "ltr";
    put("locale", JSON.stringify({lang, dir: root.dir}));
    if (o.onLocale) o.onLocale(lang, root.dir);
  }
  function apply(c) {
    cfg = c;
    setLang(c.lang, c.dir);
    // The embedding page's data-color wins over the configured colour.
    const color = /^#[0-9a-f]{6}$/i.test(o.color || "") ? o.color : c.color;
    root.style.setProperty("--brand", color);
    root.style.setProperty("--brand-ink", ink(color));
    // On the light panel, a light brand colour would be unreadable as text: ink instead.
    root.style.setProperty("--brand-text", ink(color) === "#ffffff" ? color : "#1d2330");
    const url = (u) => new URL(u, o.base).href;
    const av = $(".avatar");
    av.textContent = "";
    if (c.avatar) { const img = document.createElement("img"); img.src = url(c.avatar); img.alt = ""; av.appendChild(img); }
    else av.textContent = c.initials;
    const logo = $(".logo");
    logo.hidden = !c.logo; if (c.logo) logo.src = url(c.logo);
    $(".title").textContent = c.title; $(".sub").textContent = t("subtitle");
    log.setAttribute("aria-label", t("conversation"));
    $("label").textContent = t("message_label"); input.placeholder = t("placeholder");
    $(".send").textContent = t("send"); $(".close").setAttribute("aria-label", t("close"));
    showState(state);
    render();
    if (o.onConfig) o.onConfig(c);
  }
  async function configure(lang) {
    const q = new URLSearchParams({locale: lang || "", persona: o.persona || ""});
    const r = await fetch(o.base + "/widget/config?" + q, {credentials: "omit"});
    if (!r.ok) throw new Error(r.status === 403 ? "origin" : "status " + r.status);
    apply(await r.json());
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({type: "message", text}, text);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  if (o.onClose) { const b = $(".close"); b.hidden = false; b.addEventListener("click", o.onClose); }
  // Opened from a link that links this chat to the customer's other channel (/chat?link=<token>,
  // offered by /link elsewhere): sent once the socket says welcome, resent until acknowledged
  // like any message, never shown. The server checks it (signed, expiring, single use).
  if (o.link && /^[A-Za-z0-9_-]{32}$/.test(o.link)) { outbox.push({type: "link", token: o.link, id: newId()}); save(); }
  const saved = json("locale", null);
  if (saved && saved.lang) setLang(saved.lang, saved.dir);   // before the config arrives: no flash of the wrong side
  return {
    input, local, t,
    get config() { return cfg; },
    // Resolves once the words are in and the socket is opening; rejects ("origin") when refused.
    start: async () => { await configure((saved && saved.lang) || o.locale); connect(); },
  };
}

// The brand colour's text colour: white or near-black, whichever reads better (WCAG contrast).
function ink(hex) {
  const c = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const lum = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  return 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.05 ? "#ffffff" : "#111318";
}
