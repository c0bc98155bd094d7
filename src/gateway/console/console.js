// Stockledger console: one section per view, each registered with `view({...})` below and
// started once the token is accepted. Data comes from /console/api/… with the token as
// `Authorization: Bearer`; the token lives in this tab's sessionStorage only. Text is only
// ever set with textContent, never parsed as HTML.
"use strict";

(() => {
  const TOKEN_KEY = "stockledger.console.token";
  const STATES = ["IN_STOCK", "RESERVED_FOR_SALE", "WASTE", "DAMAGED", "QUALITY_CONTROL", "SAFETY_STOCK"];
  const FEED_KEEP = 200;
  const $ = (id) => document.getElementById(id);

  // An element with its properties set and its children appended (strings as text).
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "class") node.className = value;
      else if (key in node) node[key] = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child ?? "");
    return node;
  }
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");
  const words = (state) => (state || "").toLowerCase().replaceAll("_", " ");
  function flash(node) {
    node.classList.remove("flash");
    void node.offsetWidth; // restart the animation
    node.classList.add("flash");
  }

  // ---- the token and the API

  let token = sessionStorage.getItem(TOKEN_KEY) || "";

  class ApiError extends Error {
    constructor(status, error) {
      super(error.message || `HTTP ${status}`);
      this.status = status;
      this.error = error;
    }
  }

  async function api(path, signal) {
    const response = await fetch(path, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      cache: "no-store",
      signal,
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      const error = new ApiError(response.status, body.error || {});
      if (response.status === 401) signOut(`The token was refused (${error.error.reason || "UNAUTHORIZED"}): ${error.message}`);
      throw error;
    }
    return response.json();
  }

  // What a view says when its data could not be read.
  function explain(error) {
    if (error instanceof ApiError) {
      if (error.status === 403 && error.error.required_scope) {
        return `This token lacks the ${error.error.required_scope} scope this view needs.`;
      }
      const field = error.error.field ? ` (${error.error.field})` : "";
      return `Refused: ${error.message}${field}`;
    }
    return `Could not reach the server: ${error.message}`;
  }

  // Names of locations and SKUs of items, for display; ids where unknown.
  const locationNames = new Map();
  const itemSkus = new Map();
  const locationName = (id) => locationNames.get(id) || id;
  const itemLabel = (id) => itemSkus.get(id) || id;

  // ---- views: each { start(), stop(), …hooks the feed calls }

  const views = [];
  const view = (v) => (views.push(v), v);

  const stock = view({
    cells: new Map(), // "item|location|state" → <td>
    rows: new Map(), // "item|location" → <tr>
    shown: new Set(), // item ids in the table
    cursor: "",
    query: { q: "", location_id: "" },
    async start() {
      try {
        const { locations } = await api("/console/api/locations");
        const select = $("stock-location");
        for (const location of locations) {
          locationNames.set(location.id, location.name);
          select.append(el("option", { value: location.id }, location.name));
        }
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return;
        $("stock-status").textContent = explain(error);
      }
      await this.load(true);
    },
    stop() {
      this.clear();
      const select = $("stock-location");
      while (select.options.length > 1) select.remove(1);
    },
    clear() {
      $("stock-table").tBodies[0].replaceChildren();
      this.cells.clear();
      this.rows.clear();
      this.shown.clear();
      this.cursor = "";
    },
    async load(fresh) {
      const status = $("stock-status");
      const params = new URLSearchParams(this.query);
      if (!fresh) params.set("cursor", this.cursor);
      status.textContent = "Loading…";
      try {
        const page = await api(`/console/api/stock?${params}`);
        if (fresh) this.clear();
        for (const item of page.items) this.addItem(item, page.counts.filter((c) => c.catalog_object_id === item.id));
        this.cursor = page.cursor;
        $("stock-more").hidden = !page.cursor;
        status.textContent = this.shown.size
          ? `${this.shown.size} item${this.shown.size === 1 ? "" : "s"} shown.`
          : this.query.q ? `No item has the id or SKU “${this.query.q}”.` : "No items yet.";
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 401)) status.textContent = explain(error);
      }
    },
    addItem(item, counts) {
      itemSkus.set(item.id, item.sku || item.id);
      this.shown.add(item.id);
      const locations = [...new Set(counts.map((c) => c.location_id))];
      if (locations.length === 0) locations.push("");
      for (const location of locations) this.row(item.id, location);
      for (const count of counts) this.set(count, false);
    },
    // The row of an item at a location, made (and placed after the item's others) if new.
    row(itemId, locationId) {
      const key = `${itemId}|${locationId}`;
      if (this.rows.has(key)) return this.rows.get(key);
      const blank = this.rows.get(`${itemId}|`);
      const button = el("button", { type: "button", class: "link" }, itemLabel(itemId));
      button.setAttribute("aria-label", `History of ${itemLabel(itemId)}`);
      button.addEventListener("click", () => history.show(itemId));
      const row = el("tr", { dataset: { item: itemId, location: locationId } },
        el("th", { scope: "row" }, button, el("br"), el("span", { class: "id" }, itemId)),
        el("td", {}, locationId ? locationName(locationId) : "—"));
      for (const state of STATES) {
        const cell = el("td", { class: "num", dataset: { key: `${key}|${state}` } });
        this.cells.set(`${key}|${state}`, cell);
        row.append(cell);
      }
      if (blank && locationId) {
        blank.replaceWith(row);
        this.rows.delete(`${itemId}|`);
      } else {
        const siblings = [...this.rows.entries()].filter(([k]) => k.startsWith(`${itemId}|`));
        const last = siblings.length ? siblings[siblings.length - 1][1] : null;
        if (last) last.after(row);
        else $("stock-table").tBodies[0].append(row);
      }
      this.rows.set(key, row);
      return row;
    },
    set(count, live) {
      const wanted = this.query.location_id;
      if (!this.shown.has(count.catalog_object_id)) return;
      if (wanted && wanted !== count.location_id) return;
      if (!STATES.includes(count.state)) return;
      this.row(count.catalog_object_id, count.location_id);
      const cell = this.cells.get(`${count.catalog_object_id}|${count.location_id}|${count.state}`);
      cell.textContent = count.quantity;
      cell.title = `as of ${when(count.calculated_at)}`;
      if (live) flash(cell);
    },
    onCount(count) {
      this.set(count, true);
    },
  });

  const history = view({
    item: "",
    cursor: "",
    start() {},
    stop() {
      this.item = "";
      $("history-table").hidden = true;
      $("history-table").tBodies[0].replaceChildren();
      $("history-more").hidden = true;
      $("history-status").textContent = "Choose an item in the stock table to see its changes, newest first.";
    },
    async show(itemId) {
      this.item = itemId;
      this.cursor = "";
      $("history-table").tBodies[0].replaceChildren();
      $("history-caption").textContent = `Changes of ${itemLabel(itemId)}, newest first`;
      location.hash = "#history";
      $("history-title").focus?.();
      await this.more();
    },
    async more() {
      const status = $("history-status");
      const itemId = this.item;
      const params = new URLSearchParams({ cursor: this.cursor });
      status.textContent = "Loading…";
      try {
        const page = await api(`/console/api/items/${encodeURIComponent(itemId)}/changes?${params}`);
        if (itemId !== this.item) return;
        for (const change of page.changes) $("history-table").tBodies[0].append(this.row(change));
        this.cursor = page.cursor;
        $("history-more").hidden = !page.cursor;
        $("history-table").hidden = false;
        const rows = $("history-table").tBodies[0].rows.length;
        status.textContent = rows ? `${rows} change${rows === 1 ? "" : "s"} shown.` : "No changes yet.";
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 401)) status.textContent = explain(error);
      }
    },
    row(change) {
      const where = change.to_location_id
        ? `${locationName(change.location_id)} → ${locationName(change.to_location_id)}`
        : locationName(change.location_id);
      return el("tr", { dataset: { changeId: change.id } },
        el("td", {}, when(change.occurred_at)),
        el("td", {}, words(change.type)),
        el("td", {}, where),
        el("td", {}, words(change.from_state)),
        el("td", {}, words(change.to_state)),
        el("td", { class: "num" }, change.quantity),
        el("td", {}, change.source),
        el("td", { class: "id" }, change.id));
    },
    onChange(change) {
      if (change.catalog_object_id !== this.item) return;
      const row = this.row(change);
      $("history-table").tBodies[0].prepend(row);
      flash(row);
    },
  });

  const feed = view({
    controller: null,
    retry: 1,
    opened: 0,
    start() {
      this.retry = 1;
      this.opened = 0;
      this.connect();
    },
    stop() {
      this.controller?.abort();
      this.controller = null;
      clearTimeout(this.timer);
      $("feed-list").replaceChildren();
      this.status("Not connected.", "off");
    },
    status(text, state) {
      $("feed-status").textContent = text;
      $("feed").dataset.state = state;
    },
    async connect() {
      const controller = new AbortController();
      this.controller = controller;
      this.status("Connecting…", "connecting");
      try {
        const response = await fetch("/console/api/feed", {
          headers: { Authorization: `Bearer ${token}`, Accept: "application/x-ndjson" },
          cache: "no-store",
          signal: controller.signal,
        });
        if (!response.ok) {
          const body = await response.json().catch(() => ({}));
          const error = new ApiError(response.status, body.error || {});
          if (response.status === 401) return signOut(`The token was refused: ${error.message}`);
          if (response.status === 403) return this.status(explain(error), "refused");
          throw error;
        }
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let newline;
          while ((newline = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, newline);
            buffer = buffer.slice(newline + 1);
            if (line.trim()) this.receive(JSON.parse(line));
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        this.status(`${explain(error)} Reconnecting…`, "connecting");
      }
      if (controller.signal.aborted || this.controller !== controller) return;
      // Reconnect after a growing pause (1 s, 2 s, … 30 s); never polls while connected.
      this.timer = setTimeout(() => this.connect(), this.retry * 1000);
      this.retry = Math.min(this.retry * 2, 30);
    },
    receive(line) {
      switch (line.kind) {
        case "open":
          this.retry = 1;
          this.status("Live: changes appear here as they commit.", "live");
          // Changes committed while disconnected are in the counts: read them again.
          if (this.opened++ > 0) stock.load(true);
          break;
        case "change":
          this.add(line.change);
          for (const v of views) v.onChange?.(line.change);
          break;
        case "count":
          for (const v of views) v.onCount?.(line.count);
          break;
        case "alert":
          for (const v of views) v.onAlert?.(line.alert);
          break;
        case "end":
          if (line.error.code === "UNAUTHENTICATED") signOut(`The token was refused: ${line.error.message}`);
          else this.status(`The feed ended: ${line.error.message}`, "connecting");
          break;
      }
    },
    add(change) {
      const list = $("feed-list");
      const what = change.type === "ADJUSTMENT"
        ? `${words(change.from_state)} → ${words(change.to_state)}`
        : change.type === "TRANSFER"
          ? `${words(change.to_state)}, ${locationName(change.location_id)} → ${locationName(change.to_location_id)}`
          : `counted ${words(change.to_state)}`;
      const item = el("li", { dataset: { changeId: change.id, item: change.catalog_object_id } },
        el("time", { dateTime: change.created_at || "" }, when(change.created_at)), " ",
        el("strong", {}, `${itemLabel(change.catalog_object_id)}`),
        ` at ${locationName(change.location_id)}: ${words(change.type)} ${change.quantity} (${what})`,
        change.source ? `, by ${change.source}` : "");
      list.prepend(item);
      while (list.children.length > FEED_KEEP) list.lastElementChild.remove();
    },
  });

  const alerts = view({
    async start() {
      await this.load();
    },
    stop() {
      $("alerts-table").tBodies[0].replaceChildren();
      $("alerts-list").replaceChildren();
    },
    async load() {
      const status = $("alerts-status");
      status.textContent = "Loading…";
      try {
        const page = await api("/console/api/reorder-points");
        const body = $("alerts-table").tBodies[0];
        body.replaceChildren();
        for (const p of page.reorder_points) {
          body.append(el("tr", { dataset: { item: p.catalog_object_id, location: p.location_id } },
            el("th", { scope: "row" }, itemLabel(p.catalog_object_id)),
            el("td", {}, locationName(p.location_id)),
            el("td", { class: "num" }, p.reorder_point)));
        }
        const rows = body.rows.length;
        status.textContent = rows
          ? `${rows} reorder point${rows === 1 ? "" : "s"}${page.cursor ? " (the first page)" : ""}; alerts appear below as changes cross them.`
          : "No reorder points: set them with SetInventoryReorderPoint or stockledger reorder-point.";
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 401)) status.textContent = explain(error);
      }
    },
    onAlert(alert) {
      const low = alert.kind === "LOW";
      const item = el("li", { class: low ? "low" : "recovered", dataset: { kind: alert.kind, item: alert.catalog_object_id } },
        el("time", { dateTime: alert.calculated_at || "" }, when(alert.calculated_at)), " ",
        el("strong", {}, low ? "Low stock" : "Recovered"), `: ${itemLabel(alert.catalog_object_id)} at `,
        `${locationName(alert.location_id)}, ${alert.quantity} in stock `,
        `(${low ? "at or below" : "above"} its reorder point ${alert.reorder_point})`);
      const list = $("alerts-list");
      list.prepend(item);
      flash(item);
      while (list.children.length > FEED_KEEP) list.lastElementChild.remove();
    },
  });

  const reservations = view({
    cursor: "",
    async start() {
      await this.load(true);
    },
    stop() {
      $("reservations-table").tBodies[0].replaceChildren();
      $("reservations-more").hidden = true;
    },
    async load(fresh) {
      const status = $("reservations-status");
      const params = new URLSearchParams({ state: $("reservations-state").value, cursor: fresh ? "" : this.cursor });
      status.textContent = "Loading…";
      try {
        const page = await api(`/console/api/reservations?${params}`);
        const body = $("reservations-table").tBodies[0];
        if (fresh) body.replaceChildren();
        for (const r of page.reservations) {
          const lines = el("ul", {}, ...r.lines.map((l) =>
            el("li", {}, `${itemLabel(l.catalog_object_id)} at ${locationName(l.location_id)}: ${l.held_quantity} of ${l.quantity}`)));
          body.append(el("tr", { dataset: { reservation: r.id } },
            el("th", { scope: "row", class: "id" }, r.id),
            el("td", {}, words(r.state)),
            el("td", {}, r.reference_id),
            el("td", {}, r.state === "HELD" ? when(r.expires_at) : ""),
            el("td", {}, lines)));
        }
        this.cursor = page.cursor;
        $("reservations-more").hidden = !page.cursor;
        const rows = body.rows.length;
        status.textContent = rows ? `${rows} reservation${rows === 1 ? "" : "s"} shown.` : "No reservations.";
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 401)) status.textContent = explain(error);
      }
    },
    onChange(change) {
      // A reservation's step moves RESERVED_FOR_SALE: show the list as it now is.
      if (change.from_state === "RESERVED_FOR_SALE" || change.to_state === "RESERVED_FOR_SALE") {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.load(true), 300);
      }
    },
  });

  // ---- signing in and out

  let started = false;

  async function signIn(value) {
    token = value;
    sessionStorage.setItem(TOKEN_KEY, value);
    $("sign-in").hidden = true;
    $("views").hidden = false;
    $("signed-in").hidden = false;
    $("sign-in-error").textContent = "";
    $("main").focus();
    started = true;
    // One after another: the stock view learns the names the later views show.
    for (const v of views) {
      if (!started) break; // the token was refused: signed out already
      await v.start();
    }
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    token = "";
    if (started) for (const v of views) v.stop();
    started = false;
    $("views").hidden = true;
    $("signed-in").hidden = true;
    $("sign-in").hidden = false;
    $("sign-in-error").textContent = message || "";
    $("token").value = "";
    $("token").focus();
  }

  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token").value.trim();
    $("token").value = "";
    if (value) signIn(value);
  });
  $("sign-out").addEventListener("click", () => signOut("Signed out."));
  $("stock-search").addEventListener("submit", (event) => {
    event.preventDefault();
    stock.query = { q: $("stock-q").value.trim(), location_id: $("stock-location").value };
    stock.load(true);
  });
  $("stock-more").addEventListener("click", () => stock.load(false));
  $("history-more").addEventListener("click", () => history.more());
  $("reservations-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    reservations.load(true);
  });
  $("reservations-more").addEventListener("click", () => reservations.load(false));

  if (token) signIn(token);
  else $("token").focus();
})();
