// The step-through player: one drawing of the graph, and per step only what changed.
//
// The page holds the graph drawn once (every gradient pending) and, for each step of backward,
// the node that applied the chain rule, the inputs it fed, and the boxes whose gradient, colour or
// status changed. Showing step k folds those changes from step 0 up to k into a small table of
// box states, then touches only the boxes whose state differs from what is on screen.
(function () {
  const data = JSON.parse(document.getElementById('steps').textContent);
  const steps = data.steps;  // steps[0] is before backward; steps[k] = {c, fed, set, sums, caption}
  const last = steps.length - 1;
  const svg = document.querySelector('#stage svg');
  const slider = document.getElementById('slider');
  const caption = document.getElementById('caption');
  const counter = document.getElementById('counter');
  const play = document.getElementById('play');
  const SVGNS = 'http://www.w3.org/2000/svg';
  let timer = null;

  // the drawn parts each step changes, found once
  const box = {};  // node id -> {g, fills: [table polygon, grad cell polygon], borders, texts, grad}
  svg.querySelectorAll('g.node.value').forEach(function (g) {
    const id = g.getAttribute('id');
    const polygons = Array.from(g.querySelectorAll('polygon'));
    const texts = Array.from(g.querySelectorAll('text'));
    box[id] = {
      g: g,
      fills: polygons.filter(function (p) { return p.getAttribute('stroke') === 'transparent'; }),
      borders: polygons.filter(function (p) { return p.getAttribute('fill') === 'none'; }),
      texts: texts,
      grad: texts.find(function (t) { return t.textContent.startsWith('grad'); }),
      stroke: (polygons.find(function (p) { return p.getAttribute('fill') === 'none'; }) || {getAttribute: function () { return 'black'; }}).getAttribute('stroke'),
      tooltip: g.querySelector('a'),
    };
  });
  const op = {};
  svg.querySelectorAll('g.node.op').forEach(function (g) {
    const shape = g.querySelector('ellipse, polygon');
    op[g.getAttribute('id')] = {g: g, shape: shape, fill: shape.getAttribute('fill'), stroke: shape.getAttribute('stroke')};
  });
  const edge = {};
  svg.querySelectorAll('g.edge').forEach(function (g) {
    edge[g.querySelector('title').textContent] = g;
  });
  const summary = {};
  svg.querySelectorAll('g.node').forEach(function (g) {
    if (!g.classList.contains('summary')) return;
    const note = Array.from(g.querySelectorAll('text')).find(function (t) { return / gradients final$/.test(t.textContent); });
    const shape = g.querySelector('polygon, path');
    summary[g.querySelector('title').textContent] = {g: g, note: note, shape: shape, fill: shape && shape.getAttribute('fill')};
  });

  // what is on screen now: per box [grad text, fill, ink, grad ink, status, tooltip]
  const shown = {};
  for (const id in box) shown[id] = data.start[id];
  let lit = [];  // the op, edges and boxes highlighted by the step on screen

  function state(k) {
    const target = Object.assign({}, data.start);
    const sums = {};
    for (let j = 1; j <= k; j++) {
      const set = steps[j].set;
      for (const id in set) target[id] = set[id];
      const s = steps[j].sums || {};
      for (const id in s) sums[id] = s[id];
    }
    return [target, sums];
  }

  function paint(id, st) {
    const b = box[id];
    b.fills[0].setAttribute('fill', st[1]);
    if (b.fills[1]) b.fills[1].setAttribute('fill', st[4] === 'pending' ? data.pendingFill : st[1]);
    b.texts.forEach(function (t) { t.setAttribute('fill', st[2]); });
    b.grad.textContent = st[0];
    b.grad.setAttribute('fill', st[3]);
    b.g.setAttribute('class', 'node value ' + st[4] + (b.g.classList.contains('part') ? ' part' : ''));
    if (b.tooltip) b.tooltip.setAttributeNS('http://www.w3.org/1999/xlink', 'title', st[5]);
  }

  function highlight(on, record) {
    const current = record.c;
    if (current === null) return;
    const b = box['n' + current];
    if (b) {
      b.borders.forEach(function (p) { p.setAttribute('stroke', on ? data.fed : b.stroke); });
      if (on) b.g.classList.add('current');
      // plain drawings fill the current box; coloured ones keep their colour and show the border
      if (on && data.fillCurrent) b.fills.forEach(function (f) { f.setAttribute('fill', data.current); });
    }
    const o = op['o' + current];
    if (o) {
      o.shape.setAttribute('fill', on ? data.current : o.fill);
      o.shape.setAttribute('stroke', on ? data.fed : o.stroke);
      o.shape.setAttribute('stroke-width', on ? '2' : '1');
      o.g.classList.toggle('current', on);
    }
    const names = record.fed.map(function (p) { return 'n' + p + '->o' + current; });
    names.push('o' + current + '->n' + current);
    names.forEach(function (name) {
      const e = edge[name];
      if (!e) return;
      e.classList.toggle('fed', on);
      e.querySelectorAll('path, polygon').forEach(function (part) {
        if (!part.dataset.stroke) part.dataset.stroke = part.getAttribute('stroke');
        part.setAttribute('stroke', on ? data.fed : part.dataset.stroke);
        part.setAttribute('stroke-width', on ? '2.5' : '1');
        if (part.tagName === 'polygon') part.setAttribute('fill', on ? data.fed : part.dataset.stroke);
      });
    });
  }

  let onScreen = 0;
  function show(k) {
    k = Math.max(0, Math.min(last, k));
    const before = steps[onScreen];
    highlight(false, before);
    if (before.c !== null && box['n' + before.c]) paint('n' + before.c, shown['n' + before.c]);
    const [target, sums] = state(k);
    for (const id in target) {
      if (shown[id] !== target[id]) { paint(id, target[id]); shown[id] = target[id]; }
    }
    const record = steps[k];
    for (const id in summary) {
      const s = summary[id];
      if (s.note && sums[id]) s.note.textContent = sums[id];
      if (s.shape) s.shape.setAttribute('fill', record.box === id ? data.current : s.fill);
    }
    if (record.c !== null && box['n' + record.c]) paint('n' + record.c, shown['n' + record.c]);
    highlight(true, record);
    onScreen = k;
    slider.value = k;
    caption.textContent = record.caption;
    counter.textContent = 'step ' + k + ' of ' + last;
  }

  function pause() { clearInterval(timer); timer = null; play.textContent = '\u25B6 play'; }
  function start() {
    if (onScreen >= last) show(0);
    play.textContent = '\u275A\u275A pause';
    timer = setInterval(function () {
      if (onScreen >= last) { pause(); return; }
      show(onScreen + 1);
    }, data.interval);
  }
  const page = Math.max(1, Math.round(last / 10));  // PageUp/PageDown move a tenth of the walk
  slider.addEventListener('input', function () { pause(); show(Number(slider.value)); });
  play.addEventListener('click', function () { timer ? pause() : start(); });
  document.getElementById('prev').addEventListener('click', function () { pause(); show(onScreen - 1); });
  document.getElementById('next').addEventListener('click', function () { pause(); show(onScreen + 1); });
  const keys = {
    ArrowRight: function () { return onScreen + 1; },
    ArrowLeft: function () { return onScreen - 1; },
    PageDown: function () { return onScreen + page; },
    PageUp: function () { return onScreen - page; },
    Home: function () { return 0; },
    End: function () { return last; },
  };
  document.addEventListener('keydown', function (e) {
    if (!(e.key in keys)) return;
    e.preventDefault();  // the slider would move a second time, the page would scroll
    pause();
    show(keys[e.key]());
  });
  show(0);
})();
