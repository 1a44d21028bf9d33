'use strict';
// The attention page (attention_html.h): draws the embedded capture as a matrix and as lines, one head at a time.

const attention = JSON.parse(document.getElementById('attention-data').textContent);
const colourMap = JSON.parse(document.getElementById('colour-map').textContent);
// Taken from the parsed page rather than spelled out, so the page holds no address at all.
const svgNamespace = document.getElementById('matrix').namespaceURI;
const linkThreshold = 0.01;
const maxLabelChars = 20;

// attention_colour of attention_colours.cc, operation for operation in doubles, so that the page and the PNG agree.
function attentionColour(value, max) {
  if (!(value > 0)) return colourMap.zero;
  const ramp = colourMap.ramp;
  let t = max > 0 ? value / max : 1;
  if (!(t < 1)) t = 1;
  const position = t * (ramp.length - 1);
  const low = Math.min(Math.floor(position), ramp.length - 2);
  const fraction = position - low;
  return [0, 1, 2].map((c) => Math.floor(ramp[low][c] + (ramp[low + 1][c] - ramp[low][c]) * fraction + 0.5));
}

function rgbText(rgb) {
  return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
}

function setAttributes(element, attributes) {
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

function svgChild(parent, name, attributes) {
  return setAttributes(parent.appendChild(document.createElementNS(svgNamespace, name)), attributes);
}

// A token's label, cut by code points, with the whole text as its tooltip.
function tokenLabel(parent, className, dataName, index, text) {
  const label = svgChild(parent, 'text', { class: className, [`data-${dataName}`]: index });
  const characters = Array.from(text);
  label.textContent = characters.length > maxLabelChars
    ? characters.slice(0, maxLabelChars - 1).join('') + '\u2026' : text;
  svgChild(label, 'title', {}).textContent = text;
  return label;
}

function widest(labels) {
  return labels.reduce((width, label) => Math.max(width, label.getComputedTextLength()), 0);
}

const layerSelect = document.getElementById('layer');
const headSelect = document.getElementById('head');
const matrixView = document.getElementById('matrix');
const linesView = document.getElementById('lines');
const readout = document.getElementById('readout');
let rowElements = [];  // per query row: its cells, links and labels, for highlighting

function currentHead() {
  const layer = attention.layers[layerSelect.selectedIndex];
  return { layer, head: layer.heads[headSelect.selectedIndex] };
}

function drawMatrix(weights, max) {
  matrixView.replaceChildren();
  const rows = attention.queries.length, columns = attention.keys.length;
  const cell = Math.max(4, Math.min(24, Math.floor(640 / Math.max(rows, columns))));
  const fontSize = Math.max(4, Math.min(11, cell - 3));
  const queryLabels = attention.queries.map((text, q) => tokenLabel(matrixView, 'qlabel', 'q', q, text));
  const keyLabels = attention.keys.map((text, k) => tokenLabel(matrixView, 'klabel', 'k', k, text));
  for (const label of [...queryLabels, ...keyLabels]) label.setAttribute('font-size', fontSize);
  const left = Math.ceil(widest(queryLabels)) + 8, top = Math.ceil(widest(keyLabels)) + 8;
  queryLabels.forEach((label, q) => {
    const y = top + (q + 0.5) * cell;
    setAttributes(label, { x: left - 4, y, 'text-anchor': 'end', 'dominant-baseline': 'central' });
    rowElements[q].push(label);
  });
  keyLabels.forEach((label, k) => setAttributes(label, {
    transform: `translate(${left + (k + 0.5) * cell},${top - 4}) rotate(-90)`, 'dominant-baseline': 'central',
  }));
  for (let q = 0; q < rows; ++q) {
    for (let k = 0; k < columns; ++k) {
      const p = weights[q][k];
      rowElements[q].push(svgChild(matrixView, 'rect', {
        class: 'cell', 'data-q': q, 'data-k': k, 'data-p': p, fill: rgbText(attentionColour(p, max)),
        x: left + k * cell, y: top + q * cell, width: cell, height: cell,
      }));
    }
  }
  matrixView.setAttribute('width', left + columns * cell + 4);
  matrixView.setAttribute('height', top + rows * cell + 4);
}

// Queries on the left, keys on the right: for cross attention, target tokens against source tokens (the alignment).
function drawLines(weights) {
  linesView.replaceChildren();
  const rowHeight = 18, headingHeight = 24, span = 220;
  const cross = attention.kind === 'cross';
  const queryHeading = svgChild(linesView, 'text', { class: 'heading', y: 14, 'text-anchor': 'end' });
  queryHeading.textContent = cross ? 'target (queries)' : 'queries';
  const keyHeading = svgChild(linesView, 'text', { class: 'heading', y: 14 });
  keyHeading.textContent = cross ? 'source (keys)' : 'keys';
  const queryLabels = attention.queries.map((text, q) => tokenLabel(linesView, 'qlabel', 'q', q, text));
  const keyLabels = attention.keys.map((text, k) => tokenLabel(linesView, 'klabel', 'k', k, text));
  const queryRight = Math.ceil(Math.max(widest(queryLabels), queryHeading.getComputedTextLength())) + 8;
  const keyLeft = queryRight + span;
  queryHeading.setAttribute('x', queryRight - 4);
  keyHeading.setAttribute('x', keyLeft + 4);
  const rowY = (i) => headingHeight + (i + 0.5) * rowHeight;
  queryLabels.forEach((label, q) => {
    setAttributes(label, { x: queryRight - 4, y: rowY(q), 'text-anchor': 'end', 'dominant-baseline': 'central' });
    rowElements[q].push(label);
  });
  keyLabels.forEach((label, k) => setAttributes(label, { x: keyLeft + 4, y: rowY(k), 'dominant-baseline': 'central' }));
  weights.forEach((row, q) => row.forEach((p, k) => {
    if (!(p >= linkThreshold)) return;
    rowElements[q].push(svgChild(linesView, 'line', {
      class: 'link', 'data-q': q, 'data-k': k, 'data-p': p, x1: queryRight + 2, y1: rowY(q), x2: keyLeft - 2,
      y2: rowY(k), 'stroke-width': (0.5 + 4.5 * p).toFixed(3), 'stroke-opacity': (0.15 + 0.85 * p).toFixed(3),
    }));
  }));
  const keyRight = keyLeft + 8 + widest(keyLabels);
  linesView.setAttribute('width', Math.ceil(Math.max(keyRight, keyLeft + keyHeading.getComputedTextLength() + 8)));
  const tokens = Math.max(attention.queries.length, attention.keys.length);
  linesView.setAttribute('height', headingHeight + tokens * rowHeight + 4);
}

function drawSummary(layer, head) {
  const body = document.querySelector('#summary tbody');
  body.replaceChildren();
  layer.heads.forEach((entry, index) => {
    const row = body.insertRow();
    row.dataset.head = entry.head;
    if (entry === head) row.classList.add('current');
    row.insertCell().textContent = entry.head;
    for (const [name, value] of [['entropy', entry.entropy], ['sink', entry.sink]]) {
      const cell = row.insertCell();
      cell.className = name;
      cell.dataset.value = value;
      cell.textContent = value.toFixed(3);
    }
    row.addEventListener('click', () => {
      headSelect.selectedIndex = index;
      draw();
    });
  });
}

function draw() {
  const { layer, head } = currentHead();
  const max = head.weights.reduce((largest, row) => row.reduce((m, p) => Math.max(m, p), largest), 0);
  rowElements = attention.queries.map(() => []);
  drawMatrix(head.weights, max);
  drawLines(head.weights);
  drawSummary(layer, head);
  document.getElementById('colour-max').textContent = max.toPrecision(3);
  readout.textContent = '';
}

function highlightRow(q) {
  for (const view of [matrixView, linesView]) view.classList.add('focused');
  rowElements[q].forEach((element) => element.classList.add('highlight'));
}

function clearHighlight() {
  for (const view of [matrixView, linesView]) view.classList.remove('focused');
  for (const row of rowElements) row.forEach((element) => element.classList.remove('highlight'));
}

function fillSelect(select, values) {
  select.replaceChildren(...values.map((value) => new Option(String(value), String(value))));
}

function fillHeads() {
  fillSelect(headSelect, attention.layers[layerSelect.selectedIndex].heads.map((entry) => entry.head));
}

for (const view of [matrixView, linesView]) {
  view.addEventListener('mouseover', (event) => {
    const label = event.target.closest('.qlabel');
    if (label) highlightRow(Number(label.dataset.q));
    const cell = event.target.closest('.cell');
    if (cell) {
      const q = Number(cell.dataset.q), k = Number(cell.dataset.k);
      readout.textContent = `${attention.queries[q]} \u2192 ${attention.keys[k]}: ${Number(cell.dataset.p).toFixed(4)}`;
    }
  });
  view.addEventListener('mouseout', (event) => {
    if (event.target.closest('.qlabel')) clearHighlight();
  });
}
layerSelect.addEventListener('change', () => {
  const head = headSelect.value;
  fillHeads();
  headSelect.value = head;
  if (headSelect.selectedIndex < 0) headSelect.selectedIndex = 0;
  draw();
});
headSelect.addEventListener('change', draw);

document.getElementById('model').textContent = attention.model;
document.querySelector('#colour-bar .ramp').style.background =
  `linear-gradient(to right, ${colourMap.ramp.map(rgbText).join(', ')})`;
document.querySelector('#colour-bar .zero').style.background = rgbText(colourMap.zero);
const headCount = attention.layers.length ? attention.layers[0].heads.length : 0;
const subtitle = document.getElementById('subtitle');
subtitle.textContent = `${attention.kind} attention, ${attention.queries.length} queries x ${attention.keys.length} ` +
  `keys, ${attention.layers.length} layers x ${headCount} heads captured`;
if (headCount > 0) {
  fillSelect(layerSelect, attention.layers.map((entry) => entry.layer));
  fillHeads();
  draw();
} else {
  subtitle.textContent += ': nothing to draw';
}
