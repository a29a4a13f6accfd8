// The sandbox console's only script: live updates, journal filters, copy buttons,
// and the controls, sent to the admin API as JSON. No build step, no library.
"use strict";
(() => {
  const status = document.querySelector("[data-testid=status]");
  const say = (text, bad) => {
    status.textContent = text;
    status.classList.toggle("bad", Boolean(bad));
  };

  // Every change the console makes is one admin API call, sent from here.
  async function adminCall(method, path, body) {
    const init = { method, headers: { "content-type": "application/json" }, credentials: "same-origin" };
    if (body !== undefined) init.body = JSON.stringify(body);
    const reply = await fetch(path, init);
    const data = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(data.error || `HTTP ${reply.status}`);
    return data;
  }

  // -- live refresh: the part of the page marked #live is fetched again ----------------
  let pending = null;
  async function refresh() {
    const live = document.getElementById("live");
    if (!live) return;
    const reply = await fetch(location.href, { cache: "no-store" });
    if (!reply.ok) return;
    const fresh = new DOMParser().parseFromString(await reply.text(), "text/html");
    const part = fresh.getElementById("live");
    if (part) live.replaceWith(document.adoptNode(part));
    const clock = fresh.querySelector("[data-testid=sandbox-clock]");
    const shown = document.querySelector("[data-testid=sandbox-clock]");
    if (clock && shown) shown.textContent = clock.textContent;
    document.dispatchEvent(new CustomEvent("console:refreshed"));
  }
  function refreshSoon() {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      refresh().catch((error) => say(`Could not refresh: ${error}`, true));
    }, 200);
  }

  // -- the journal: rows arrive from the stream, filters hide what does not match ------
  const rows = document.getElementById("journal-rows");
  const filters = document.querySelector("[data-testid=journal-filters]");
  const KEEP_ROWS = 500;
  function matches(row) {
    const path = filters.elements.path.value.trim();
    const code = filters.elements.errcode.value.trim();
    const appid = filters.elements.appid.value;
    return (!path || row.dataset.path.includes(path))
      && (!code || row.dataset.errcode === code)
      && (!appid || row.dataset.appid === appid);
  }
  function applyFilters() {
    for (const row of rows.rows) row.hidden = !matches(row);
    const query = new URLSearchParams();
    for (const name of ["path", "errcode", "appid"]) {
      const value = filters.elements[name].value.trim();
      if (value) query.set(name, value);
    }
    const search = query.toString();
    history.replaceState(null, "", search ? `?${search}` : location.pathname);
  }
  if (rows && filters) {
    filters.addEventListener("input", applyFilters);
    filters.addEventListener("change", applyFilters);
    applyFilters();
  }

  if (window.EventSource) {
    const after = document.body.dataset.lastSeq || "0";
    const source = new EventSource(`/ui/events?after=${encodeURIComponent(after)}`);
    source.addEventListener("call", (event) => {
      const call = JSON.parse(event.data);
      if (rows) {
        rows.insertAdjacentHTML("afterbegin", call.row);
        const row = rows.rows[0];
        if (filters) row.hidden = !matches(row);
        while (rows.rows.length > KEEP_ROWS) rows.deleteRow(-1);
      }
      if (document.querySelector("[data-live=calls]")) refreshSoon();
    });
    window.addEventListener("pagehide", () => source.close());
  }

  // -- copy a media id in one click -----------------------------------------------------
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const text = button.dataset.copy;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = "copied";
    setTimeout(() => { button.textContent = "copy"; }, 1500);
    say(`Copied ${text}`);
  });

  // -- controls: each form is one admin API call ------------------------------------------
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-admin-path]");
    if (!form) return;
    event.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    const body = {};
    for (const field of form.querySelectorAll("[name][data-json]")) {
      const kind = field.dataset.json;
      if (kind === "number") body[field.name] = Number(field.value);
      else if (kind === "merge") Object.assign(body, JSON.parse(field.value));
      else body[field.name] = field.value;
    }
    const method = form.dataset.adminMethod;
    try {
      await adminCall(method, form.dataset.adminPath, method === "DELETE" ? undefined : body);
      say(`Done: ${form.querySelector("button").textContent}`);
      await refresh();
    } catch (error) {
      say(`Refused: ${error.message}`, true);
    }
  });
})();
