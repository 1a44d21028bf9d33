// The attention page (runtime/cli/attention_html.h) in headless Chromium, driven by playwright-core:
//   node attention_page_test.mjs PAGE.html SCREENSHOT.png [COLOURS.json]
// For a few (layer, head) choices: every cell's fill is the colour map of the embedded JSON's probability (on the
// head's largest as max) and its data-p that probability; the lines view has a link exactly for each probability of
// at least 0.01; the summary table holds entropy and sink share recomputed here. Hovering a query label highlights
// exactly its row; leaving restores. The page loads nothing and runs no token text. COLOURS.json
// ([value, max, r, g, b] rows from write_attention_page) checks this colour map and the page's against the C++ one.
// Writes a screenshot; exits 1 with a message per mismatch.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [pagePath, screenshotPath, coloursPath] = process.argv.slice(2);
if (!pagePath || !screenshotPath) {
  console.error('usage: node attention_page_test.mjs PAGE.html SCREENSHOT.png [COLOURS.json]');
  process.exit(2);
}
const started = Date.now();
const problems = [];
function check(condition, message) {
  if (!condition) problems.push(message);
  return condition;
}

// run_attention_page_test.sh installs playwright-core into the cache folder; an ordinary node_modules also works.
function loadPlaywright() {
  const cache = process.env.EDGEFORMER_NODE_CACHE || join(homedir(), '.cache', 'edgeformer-node');
  for (const base of [join(cache, 'package.json'), import.meta.url]) {
    try {
      return createRequire(base)('playwright-core');
    } catch (error) {
      if (error.code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  console.error(`attention_page_test: playwright-core not found in ${cache}/node_modules (run_attention_page_test.sh `
    + 'installs it)');
  process.exit(2);
}

// The colour map as attention_colours.cc defines it, written again here: interpolation of the page's ramp in doubles.
function expectedColour(colourMap, value, max) {
  if (!(value > 0)) return colourMap.zero;
  const ramp = colourMap.ramp;
  let t = max > 0 ? value / max : 1;
  if (!(t < 1)) t = 1;
  const position = t * (ramp.length - 1);
  const low = Math.min(Math.floor(position), ramp.length - 2);
  const fraction = position - low;
  return ramp[low].map((from, c) => Math.floor(from + (ramp[low + 1][c] - from) * fraction + 0.5));
}

const rgbText = (rgb) => `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;

function summary(weights) {
  let entropy = 0, sink = 0;
  for (const row of weights) {
    for (const p of row) if (p > 0) entropy -= p * Math.log(p);
    sink += row[0];
  }
  return { entropy: entropy / weights.length, sink: sink / weights.length };
}

const near = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

// At most four (layer, head) choices: the first and last of each, one in the middle, or all when they are few.
function choices(attention) {
  const layers = attention.layers.length, heads = attention.layers[0].heads.length;
  if (layers * heads <= 8) return [...Array(layers * heads).keys()].map((i) => [Math.floor(i / heads), i % heads]);
  const picked = [[0, 0], [layers - 1, heads - 1], [layers >> 1, heads >> 1], [0, heads - 1]];
  return picked.filter(([l, h], i) => picked.findIndex(([l2, h2]) => l2 === l && h2 === h) === i);
}

async function checkLabels(page, attention, where) {
  for (const [selector, texts] of [[`${where} .qlabel`, attention.queries], [`${where} .klabel`, attention.keys]]) {
    const titles = await page.$$eval(selector, (labels) => labels.map((label) => label.querySelector('title')
      ?.textContent));
    check(titles.length === texts.length, `${selector}: ${titles.length} labels for ${texts.length} tokens`);
    titles.forEach((title, i) => check(title === texts[i],
      `${selector} ${i}: tooltip ${JSON.stringify(title)}, token ${JSON.stringify(texts[i])}`));
  }
}

async function checkHead(page, attention, colourMap, layerIndex, headIndex) {
  const layer = attention.layers[layerIndex], head = layer.heads[headIndex];
  const name = `layer ${layer.layer} head ${head.head}`;
  await page.selectOption('#layer', String(layer.layer));
  await page.selectOption('#head', String(head.head));
  const max = head.weights.flat().reduce((m, p) => Math.max(m, p), 0);

  const cells = await page.$$eval('#matrix .cell', (rects) => rects.map((rect) =>
    [Number(rect.dataset.q), Number(rect.dataset.k), rect.dataset.p, rect.getAttribute('fill')]));
  check(cells.length === attention.queries.length * attention.keys.length, `${name}: ${cells.length} cells`);
  const seen = new Set();
  for (const [q, k, p, fill] of cells) {
    const weight = head.weights[q]?.[k];
    seen.add(`${q},${k}`);
    if (!check(weight !== undefined, `${name}: a cell at (${q}, ${k})`)) continue;
    check(Number(p) === weight, `${name} cell (${q}, ${k}): data-p ${p}, JSON ${weight}`);
    const want = rgbText(expectedColour(colourMap, weight, max));
    check(fill === want, `${name} cell (${q}, ${k}) p=${weight}: fill ${fill}, colour map ${want}`);
  }
  check(seen.size === cells.length, `${name}: cells repeat`);

  const links = await page.$$eval('#lines .link', (lines) => lines.map((line) =>
    `${line.dataset.q},${line.dataset.k}`));
  const wanted = head.weights.flatMap((row, q) => row.flatMap((p, k) => (p >= 0.01 ? [`${q},${k}`] : [])));
  check(links.length === wanted.length && wanted.every((link) => links.includes(link)),
    `${name}: links ${links.join(' ')}, probabilities >= 0.01 at ${wanted.join(' ')}`);

  const rows = await page.$$eval('#summary tbody tr', (trs) => trs.map((tr) => ({
    head: tr.dataset.head, current: tr.classList.contains('current'),
    entropy: Number(tr.querySelector('.entropy').dataset.value), entropyText: tr.querySelector('.entropy').textContent,
    sink: Number(tr.querySelector('.sink').dataset.value), sinkText: tr.querySelector('.sink').textContent,
  })));
  check(rows.length === layer.heads.length, `${name}: ${rows.length} summary rows for ${layer.heads.length} heads`);
  rows.forEach((row, i) => {
    const entry = layer.heads[i], want = summary(entry.weights);
    check(row.head === String(entry.head), `${name}: summary row ${i} is head ${row.head}, not ${entry.head}`);
    check(row.current === (entry === head), `${name}: summary row of head ${row.head} marked current: ${row.current}`);
    check(near(row.entropy, want.entropy) && Math.abs(Number(row.entropyText) - want.entropy) <= 5.0001e-4,
      `${name}: head ${row.head} entropy ${row.entropy} (${row.entropyText}), recomputed ${want.entropy}`);
    check(near(row.sink, want.sink) && Math.abs(Number(row.sinkText) - want.sink) <= 5.0001e-4,
      `${name}: head ${row.head} sink ${row.sink} (${row.sinkText}), recomputed ${want.sink}`);
  });
  await checkLabels(page, attention, '#matrix');
  await checkLabels(page, attention, '#lines');
}

// Hovering query q's label in `where` highlights exactly row q's cells and links; moving away clears them.
async function checkHover(page, attention, where, q) {
  await page.hover(`${where} .qlabel[data-q="${q}"]`);
  const state = await page.evaluate(() => ({
    cells: [...document.querySelectorAll('#matrix .cell.highlight')].map((cell) => Number(cell.dataset.q)),
    links: [...document.querySelectorAll('#lines .link.highlight')].map((link) => Number(link.dataset.q)),
    rowLinks: [...document.querySelectorAll('#lines .link')].map((link) => Number(link.dataset.q)),
    focused: ['matrix', 'lines'].every((id) => document.getElementById(id).classList.contains('focused')),
  }));
  const name = `hovering ${where} query ${q}`;
  check(state.cells.length === attention.keys.length && state.cells.every((row) => row === q),
    `${name}: highlighted cells of rows ${state.cells.join(' ')}`);
  const want = state.rowLinks.filter((row) => row === q).length;
  check(state.links.length === want && state.links.every((row) => row === q),
    `${name}: ${state.links.length} highlighted links (rows ${state.links.join(' ')}), row ${q} has ${want}`);
  check(state.focused, `${name}: the views are not dimmed`);
  await page.mouse.move(1, 1);
  const left = await page.evaluate(() => document.querySelectorAll('.highlight, .focused').length);
  check(left === 0, `${name}, then leaving: ${left} elements still highlighted or dimmed`);
}

// Up to three queries whose labels show something to point at: the first, the middle and the last of them.
function hoverTargets(attention) {
  const visible = attention.queries.flatMap((text, q) => (text.trim() ? [q] : []));
  return [...new Set([visible[0], visible[visible.length >> 1], visible[visible.length - 1]])]
    .filter((q) => q !== undefined);
}

async function checkColourTable(page, colourMap) {
  const table = JSON.parse(readFileSync(coloursPath, 'utf8'));
  const pageColours = await page.evaluate((rows) => rows.map(([value, max]) => attentionColour(value, max)), table);
  table.forEach(([value, max, ...cpp], i) => {
    const here = expectedColour(colourMap, value, max);
    check(rgbText(here) === rgbText(cpp),
      `colour of ${value} / ${max}: C++ ${rgbText(cpp)}, this test ${rgbText(here)}`);
    check(rgbText(pageColours[i]) === rgbText(cpp),
      `colour of ${value} / ${max}: C++ ${rgbText(cpp)}, the page ${rgbText(pageColours[i])}`);
  });
  return table.length;
}

async function run(browser) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => check(message.type() !== 'error', `console error: ${message.text()}`));
  page.on('dialog', (dialog) => {
    problems.push(`a dialog opened (a token text ran as script?): ${dialog.message()}`);
    dialog.dismiss();
  });
  page.on('request', (request) => check(/^(file|data):/.test(request.url()), `the page loads ${request.url()}`));
  await page.goto(pathToFileURL(resolve(pagePath)).href);

  const attention = JSON.parse(await page.$eval('#attention-data', (script) => script.textContent));
  const colourMap = JSON.parse(await page.$eval('#colour-map', (script) => script.textContent));
  const layerOptions = await page.$$eval('#layer option', (options) => options.map((option) => option.value));
  check(layerOptions.join() === attention.layers.map((layer) => layer.layer).join(),
    `layer options ${layerOptions.join()}`);
  const headOptions = await page.$$eval('#head option', (options) => options.map((option) => option.value));
  check(headOptions.join() === attention.layers[0].heads.map((head) => head.head).join(),
    `head options ${headOptions.join()}`);

  const picked = choices(attention);
  for (const [layerIndex, headIndex] of picked) await checkHead(page, attention, colourMap, layerIndex, headIndex);
  const targets = hoverTargets(attention);
  check(targets.length > 0, 'no query label to hover');
  for (const q of targets) await checkHover(page, attention, '#matrix', q);
  for (const q of targets) await checkHover(page, attention, '#lines', q);
  const colours = coloursPath ? await checkColourTable(page, colourMap) : 0;
  await page.screenshot({ path: screenshotPath, fullPage: true });

  if (problems.length > 0) {
    console.error(`attention_page_test: ${problems.length} problems in ${pagePath}:`);
    for (const problem of problems.slice(0, 40)) console.error(`  ${problem}`);
    process.exitCode = 1;
  } else {
    const colourText = colours ? `, ${colours} colours equal to the C++ ones` : '';
    console.log(`attention_page_test: ${pagePath} passes: ${picked.length} (layer, head) choices, hover of `
      + `${targets.length} queries in both views${colourText}; screenshot ${screenshotPath}; `
      + `${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

const { chromium } = loadPlaywright();
const browser = await chromium.launch({
  executablePath: process.env.EDGEFORMER_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'],
});
try {
  await run(browser);
} catch (error) {
  console.error(`attention_page_test: ${pagePath} fails: ${error.stack || error}`);
  for (const problem of problems.slice(0, 40)) console.error(`  ${problem}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
