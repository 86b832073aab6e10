// The explorer page (see explorer.py): lays out the open boxes of a big graph, draws them as SVG,
// and handles pan, zoom, opening boxes, hover and search. Written for chainrule; no library.
//
// A "unit" is what one open box lays out: a node of its own (a number >= 0, the node's index) or a
// sub-box (-(scope + 1)). A closed sub-box is one block; an open one is a block the size of its own
// layout, so opening a box draws its inside in place and pushes its neighbours aside.
"use strict";
(function () {
  const G = JSON.parse(document.getElementById("graph").textContent);
  const N = G.scope.length, S = G.scopes.length;
  const NODE_W = 170, NODE_H = 48, BOX_W = 200, BOX_H = 60;
  const GAP_X = 48, GAP_Y = 12, PAD = 10, TITLE = 22, MAX_COLUMN = 1600;

  // --- the scope tree and what each box holds ------------------------------------------------
  const up = new Int32Array(S), depth = new Int32Array(S), last = new Int32Array(S).fill(-1);
  const count = new Float64Array(S), loudest = new Int32Array(S).fill(-1), sizeBox = new Float64Array(S);
  const kids = [], direct = [];
  for (let s = 0; s < S; s++) {
    up[s] = G.scopes[s][1];
    depth[s] = up[s] < 0 ? 0 : depth[up[s]] + 1;
    kids.push([]);
    direct.push([]);
    if (up[s] >= 0) kids[up[s]].push(s);
  }
  const loudness = (i) => {  // |grad| as the page shows it; inf and nan are the loudest, pending the quietest
    const g = G.grad[i];
    if (g === "pending") return -1;
    return /inf|nan/.test(g) ? Infinity : Math.abs(parseFloat(g));
  };
  const heard = new Float64Array(S).fill(-2);
  for (let i = 0; i < N; i++) {
    const s = G.scope[i];
    direct[s].push(i);
    // walk up once per node: a box counts and colours by everything inside it
    const a = loudness(i);
    for (let t = s; t >= 0; t = up[t]) {
      count[t] += 1 + G.folded[i];
      if (i > last[t]) last[t] = i;
      if (a > heard[t]) { heard[t] = a; loudest[t] = i; }
    }
  }
  const natural = new Intl.Collator("en", { numeric: true });  // term2 before term10
  const byNumber = (a, b) => natural.compare(G.scopes[a][0], G.scopes[b][0]);
  for (const list of kids) list.sort(byNumber);  // module order: neurons 0, 1, 2, ..., never 3, 5, 4
  const path = (s) => G.scopes[s][0];
  const crowd = (s) => G.scopes[s][2] === 1;  // a box of one op's nodes of a crowded scope, not a scope
  const scopeOf = (s) => (crowd(s) ? path(up[s]) : path(s));  // the scope its nodes were made in
  const title = (s) => {
    if (!crowd(s)) return path(s);
    const op = path(s).slice(path(s).lastIndexOf("[") + 1, -1);
    return (op === "leaves" ? "leaves" : op + " nodes") + " of " + (scopeOf(s) || "top level");
  };
  const nameOf = (i) => G.label[i] || "n" + G.at[i];  // draw_dot's id for the same node
  const fullName = (i) => (G.label[i] && scopeOf(G.scope[i]) ? scopeOf(G.scope[i]) + "." : "") + nameOf(i);
  const opText = (i) => {
    const op = G.ops[G.op[i]];
    if (!G.folded[i]) return op;
    return (op === "+" ? "Σ " : "Π ") + G.inputs[i].length + (op === "+" ? " terms" : " factors");
  };

  // --- layout of one open box ------------------------------------------------------------------
  const open = new Set([0]);
  function unitIn(i, s) {  // the unit of box s that holds node i, or null when i is outside s
    let t = G.scope[i];
    if (t === s) return i;
    if (depth[t] <= depth[s]) return null;
    while (depth[t] > depth[s] + 1) t = up[t];
    return up[t] === s ? -(t + 1) : null;
  }
  function layout(s) {
    const units = direct[s].concat(kids[s].map((c) => -(c + 1)));
    const key = (u) => (u >= 0 ? u : last[-u - 1]);
    units.sort((a, b) => key(a) - key(b));
    const at = new Map(units.map((u, k) => [u, k]));
    const preds = units.map(() => new Set()), succs = units.map(() => new Set());
    const stack = [s];
    while (stack.length) {  // every node inside s, once: its inputs give the edges between units
      const t = stack.pop();
      for (const c of kids[t]) stack.push(c);
      for (const i of direct[t]) {
        const to = at.get(unitIn(i, s));
        for (const p of G.inputs[i]) {
          const u = unitIn(p, s);
          if (u === null) continue;
          const from = at.get(u);
          if (from !== to) { preds[to].add(from); succs[from].add(to); }
        }
      }
    }
    // ranks: inputs before what they feed, taking units in topological order (Kahn); boxes can feed
    // each other both ways, and then the unit made first goes first and the edge back is ignored
    const rank = units.map(() => 0), waiting = units.map((u, k) => preds[k].size), done = units.map(() => false);
    const ready = [];
    waiting.forEach((w, k) => { if (!w) ready.push(k); });
    for (let next = 0, taken = 0; taken < units.length; taken++) {
      let k = ready.pop();
      while (k !== undefined && done[k]) k = ready.pop();  // a unit taken early to break a cycle
      if (k === undefined) { while (done[next]) next++; k = next; }  // a cycle: break it at the oldest unit
      done[k] = true;
      for (const p of preds[k]) if (done[p] && p !== k) rank[k] = Math.max(rank[k], rank[p] + 1);
      for (const q of succs[k]) if (!done[q] && --waiting[q] === 0) ready.push(q);
    }
    for (let k = units.length - 1; k >= 0; k--) {  // a leaf sits just before its first consumer
      if (preds[k].size || !succs[k].size) continue;
      let r = Infinity;
      for (const q of succs[k]) r = Math.min(r, rank[q]);
      if (r !== Infinity && r > 0) rank[k] = r - 1;
    }
    const sizes = units.map((u) => {
      if (u >= 0) return { w: NODE_W, h: NODE_H, sub: null };
      const c = -u - 1;
      if (!open.has(c)) return { w: BOX_W, h: BOX_H, sub: null };
      const sub = layout(c);
      return { w: sub.w, h: sub.h, sub };
    });
    const columns = [];
    units.forEach((u, k) => { (columns[rank[k]] = columns[rank[k]] || []).push(k); });
    const y = new Float64Array(units.length), x = new Float64Array(units.length);
    let left = 0, height = 0;
    const placed = [];
    for (const column of columns) {
      if (!column) continue;
      const centre = (k) => {  // barycentre of the inputs already placed: fewer crossings
        let sum = 0, n = 0;
        for (const p of preds[k]) if (placed[p]) { sum += y[p] + sizes[p].h / 2; n++; }
        return n ? sum / n : Infinity;
      };
      const c = new Map(column.map((k) => [k, centre(k)]));
      column.sort((a, b) => (c.get(a) - c.get(b)) || (a - b));
      let top = 0, width = 0, start = 0;
      const stacks = [];
      column.forEach((k, j) => {
        if (top > 0 && top + sizes[k].h > MAX_COLUMN) {  // a tall column wraps into the next one
          stacks.push([start, j, top - GAP_Y, width]);
          left += width + GAP_X; top = 0; width = 0; start = j;
        }
        x[k] = left; y[k] = top; placed[k] = true;
        top += sizes[k].h + GAP_Y; width = Math.max(width, sizes[k].w);
      });
      stacks.push([start, column.length, top - GAP_Y, width]);
      for (const [a, b, h] of stacks) height = Math.max(height, h);
      left += width + GAP_X;
      for (const [a, b, h, w] of stacks) for (let j = a; j < b; j++) {
        const k = column[j];
        x[k] += (w - sizes[k].w) / 2;
        y[k] -= h / 2;  // centred on the box's middle line, fixed below once the height is known
      }
    }
    const items = units.map((u, k) => ({ u, x: x[k], y: y[k] + height / 2, w: sizes[k].w, h: sizes[k].h, sub: sizes[k].sub }));
    const edges = [];
    succs.forEach((to, k) => { for (const q of to) edges.push([k, q]); });
    return { s, items, edges, w: Math.max(left - GAP_X, 120) + 2 * PAD, h: height + 2 * PAD + TITLE };
  }

  // --- drawing ---------------------------------------------------------------------------------
  const world = document.getElementById("world"), svg = document.getElementById("view");
  const esc = (t) => String(t).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const DARK = new Set([0, 1, 6]);  // fills dark enough for white text (as the drawings' style.py says)
  const clip = (t, n) => (t.length > n ? t.slice(0, n - 1) + "…" : t);
  const clipStart = (t, n) => (t.length > n ? "…" + t.slice(t.length - n + 1) : t);  // a path's end says most
  const fillOf = (i) => G.fills[i < 0 ? G.fills.length - 1 : G.color[i]];
  let where = new Map(), top = null;
  function draw(box, ox, oy, out) {
    const ax = (it) => ox + PAD + it.x, ay = (it) => oy + TITLE + PAD + it.y;
    for (const [a, b] of box.edges) {
      const p = box.items[a], q = box.items[b];
      const x1 = ax(p) + p.w, y1 = ay(p) + p.h / 2, x2 = ax(q), y2 = ay(q) + q.h / 2, m = (x1 + x2) / 2;
      out.push(`<path class="edge" marker-end="url(#arrow)" d="M${x1},${y1}C${m},${y1} ${m},${y2} ${x2 - 4},${y2}"/>`);
    }
    for (const it of box.items) {
      const x = ax(it), y = ay(it);
      if (it.u >= 0) {
        const i = it.u, ink = DARK.has(G.color[i]) ? ' class="light"' : "";
        const op = G.ops[G.op[i]] ? " · " + opText(i) : "";
        where.set(i, { x, y, w: it.w, h: it.h });
        out.push(`<g class="node" data-i="${i}" data-name="${esc(fullName(i))}" transform="translate(${x},${y})">`,
          `<rect width="${it.w}" height="${it.h}" rx="3" fill="${G.fills[G.color[i]]}"/>`,
          `<text${ink} x="6" y="14" class="name">${esc(clip(nameOf(i) + op, 26))}</text>`,
          `<text${ink} x="6" y="29">data ${esc(G.data[i])}</text><text${ink} x="6" y="43">grad ${esc(G.grad[i])}</text></g>`);
        continue;
      }
      const c = -it.u - 1, name = esc(path(c)), fill = fillOf(loudest[c]);
      where.set(it.u, { x, y, w: it.w, h: it.h });
      if (it.sub) {
        out.push(`<g class="box open" data-s="${c}" data-path="${name}"><rect class="frame" x="${x}" y="${y}" width="${it.w}" height="${it.h}" rx="6"/>`,
          `<rect class="title" x="${x}" y="${y}" width="${it.w}" height="${TITLE}" rx="6" fill="${fill}"/>`,
          `<text x="${x + 8}" y="${y + 15}">▾ ${esc(title(c))} · ${count[c].toLocaleString("en-US")} nodes (click to close)</text></g>`);
        draw(it.sub, x, y, out);
      } else {
        // a box of one op's nodes says which op first, then where they were made
        const [head, where] = crowd(c) ? title(c).split(" of ") : [path(c), null];
        const inner = kids[c].map((k) => (crowd(k) ? title(k).split(" of ")[0] : path(k).slice(path(c).length + 1)));
        const last = where !== null ? "in " + where : inner.length ? "holds " + inner.slice(0, 4).join(", ") + (inner.length > 4 ? ", …" : "") : "click to open";
        const ink = DARK.has(G.color[loudest[c]]) ? ' class="light"' : "";
        out.push(`<g class="box closed" data-s="${c}" data-path="${name}"><rect x="${x}" y="${y}" width="${it.w}" height="${it.h}" rx="6" fill="${fill}"/>`,
          `<text${ink} x="${x + 8}" y="${y + 17}" class="name">▸ ${esc(clipStart(head, 30))}</text>`,
          `<text${ink} x="${x + 8}" y="${y + 33}">${count[c].toLocaleString("en-US")} nodes</text>`,
          `<text${ink} x="${x + 8}" y="${y + 49}">${esc(where !== null ? clipStart(last, 30) : clip(last, 30))}</text></g>`);
      }
    }
  }
  function render() {
    where = new Map();
    top = layout(0);
    const out = [];
    draw(top, 0, 0, out);
    world.innerHTML = out.join("");
  }

  // --- pan and zoom ----------------------------------------------------------------------------
  const view = { x: 0, y: 0, k: 1 };
  const apply = () => world.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.k})`);
  function fit() {
    const r = svg.getBoundingClientRect();
    view.k = Math.min(1, (0.95 * r.width) / top.w, (0.95 * r.height) / top.h);
    view.x = (r.width - top.w * view.k) / 2;
    view.y = Math.max(8, (r.height - top.h * view.k) / 2);
    apply();
  }
  function centreOn(box) {
    const r = svg.getBoundingClientRect();
    view.k = Math.max(view.k, 1);
    view.x = r.width / 2 - (box.x + box.w / 2) * view.k;
    view.y = r.height / 2 - (box.y + box.h / 2) * view.k;
    apply();
  }
  const tip = document.getElementById("tip");
  let drag = null;
  svg.addEventListener("mousedown", (e) => { drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false }; });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (drag.moved) { view.x = drag.vx + dx; view.y = drag.vy + dy; apply(); }
  });
  window.addEventListener("mouseup", () => { setTimeout(() => { drag = null; }, 0); });
  svg.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = svg.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top;
    const k = Math.min(4, Math.max(0.02, view.k * Math.exp(-e.deltaY / 500)));
    view.x = mx - ((mx - view.x) * k) / view.k;  // the point under the cursor stays put
    view.y = my - ((my - view.y) * k) / view.k;
    view.k = k;
    apply();
  }, { passive: false });

  // --- opening boxes, hover --------------------------------------------------------------------
  function openBox(c) {
    open.add(c);
    while (!direct[c].length && kids[c].length === 1) { c = kids[c][0]; open.add(c); }  // nothing else to see
  }
  function closeBox(c) {
    for (const t of Array.from(open)) for (let a = t; a >= 0; a = up[a]) if (a === c) { open.delete(t); break; }
  }
  function keepInPlace(unit, change) {  // the clicked box stays under the cursor while the layout changes
    const before = where.get(unit);
    change();
    render();
    const after = where.get(unit);
    if (before && after) { view.x += (before.x - after.x) * view.k; view.y += (before.y - after.y) * view.k; apply(); }
    if (after) reveal(after);
  }
  function reveal(box) {  // an opened box bigger than what is on screen: zoom out until it fits (up to a point)
    const r = svg.getBoundingClientRect(), m = 8;
    const x = view.x + box.x * view.k, y = view.y + box.y * view.k, w = box.w * view.k, h = box.h * view.k;
    if (x >= 0 && y >= 0 && x + w <= r.width && y + h <= r.height) return;
    view.k = Math.max(0.2, Math.min(view.k, (r.width - 2 * m) / box.w, (r.height - 2 * m) / box.h));
    view.x = Math.max(m, (r.width - box.w * view.k) / 2) - box.x * view.k;
    view.y = Math.max(m, (r.height - box.h * view.k) / 2) - box.y * view.k;
    apply();
  }
  svg.addEventListener("click", (e) => {
    if (drag && drag.moved) return;
    tip.hidden = true;  // it spoke of the box as it was
    const box = e.target.closest(".box");
    if (!box || e.target.closest(".node")) return;
    const c = +box.dataset.s;
    if (box.classList.contains("closed")) keepInPlace(-(c + 1), () => openBox(c));
    else if (e.target.classList.contains("title") || e.target.tagName === "text") keepInPlace(-(c + 1), () => closeBox(c));
  });
  function row(k, v) { return `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`; }
  svg.addEventListener("mousemove", (e) => {
    const node = e.target.closest(".node"), box = node ? null : e.target.closest(".box.closed");
    if (!node && !box) { tip.hidden = true; return; }
    let rows;
    if (node) {
      const i = +node.dataset.i, op = G.ops[G.op[i]];
      rows = row("label", G.label[i] || "(none: " + nameOf(i) + ")") + row("op", op ? opText(i) : "none (a leaf)") +
        row("data", G.data[i]) + row("grad", G.grad[i]) + row("scope", scopeOf(G.scope[i]) || "top level");
      if (G.label[i] && scopeOf(G.scope[i])) rows += row("name", fullName(i));
      if (G.folded[i]) rows += row("folded", G.folded[i].toLocaleString("en-US") + (G.folded[i] === 1 ? " partial sum" : " partial sums") + " drawn as this one node");
    } else {
      const c = +box.dataset.s;
      rows = row("box", title(c)) + row("holds", count[c].toLocaleString("en-US") + " nodes") +
        row("largest |grad|", loudest[c] >= 0 ? G.grad[loudest[c]] : "none") + row("", "click to open");
    }
    tip.innerHTML = `<table>${rows}</table>`;
    tip.hidden = false;
    tip.style.left = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 4) + "px";
    tip.style.top = Math.min(e.clientY + 14, window.innerHeight - tip.offsetHeight - 4) + "px";
  });
  svg.addEventListener("mouseleave", () => { tip.hidden = true; });

  // --- search ----------------------------------------------------------------------------------
  const search = document.getElementById("search"), found = document.getElementById("found");
  let asked = null, matches = [], at = 0;
  function find(q) {
    const exact = [], partial = [];
    for (let i = 0; i < N; i++) {
      const name = fullName(i);
      if (name === q || G.label[i] === q || nameOf(i) === q) exact.push(i);
      else if (G.label[i] && name.includes(q)) partial.push(i);
    }
    const boxes = [];
    for (let s = 1; s < S; s++) if (path(s) === q) boxes.push(-(s + 1));
    return boxes.concat(exact, partial);
  }
  function jump(unit) {
    const s = unit >= 0 ? G.scope[unit] : up[-unit - 1];
    for (let t = s; t >= 0; t = up[t]) open.add(t);
    render();
    const el = unit >= 0 ? world.querySelector(`.node[data-i="${unit}"]`) : world.querySelector(`.box[data-s="${-unit - 1}"]`);
    el.classList.add("found");
    centreOn(where.get(unit));
  }
  search.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    const q = search.value.trim();
    if (!q) return;
    if (q !== asked) { asked = q; matches = find(q); at = 0; } else at = (at + 1) % Math.max(matches.length, 1);
    if (!matches.length) { found.textContent = `nothing is called “${q}”`; return; }
    found.textContent = `${at + 1} of ${matches.length.toLocaleString("en-US")} (Enter: next)`;
    jump(matches[at]);
  });
  document.getElementById("fit").addEventListener("click", fit);

  // --- legend, note, first picture -------------------------------------------------------------
  document.getElementById("legend").innerHTML = "<b>|grad|, log scale</b>" +
    G.legend.map(([fill, text]) => `<div><span style="background:${fill}"></span>${esc(text)}</div>`).join("") +
    "<p>a closed box has the colour of the largest |grad| inside it</p>";
  const folded = G.partials ? ` (${G.partials.toLocaleString("en-US")} partial sum${G.partials === 1 ? "" : "s"} inside Σ nodes)` : "";
  document.getElementById("note").textContent =
    `${G.total.toLocaleString("en-US")} nodes${folded} · click a box to open it, its title to close it · drag, wheel to zoom`;
  render();
  fit();
  requestAnimationFrame(() => requestAnimationFrame(() => {  // the second frame starts after the first is painted
    window.exploreFirstPaint = performance.now();
  }));
})();
