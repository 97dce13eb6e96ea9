// descend play: the page's controller. The server computes every number (grids, runs, the
// optimizer state inside a step, the curvature, the Python); this file keeps the state,
// asks, and draws.
import { ApiError, Channel, get } from "./api.js";
import { buildCard } from "./cards.js";
import { MapView, drawLossChart, fmt, lossOffset } from "./plots.js";
import * as S from "./state.js";
import { $, appendOptions, copyText, describe, el } from "./ui.js";
import { currentView, startViews } from "./views.js";

const GRID_N = 120;

let catalog = null;
let state = null;
let runs = [];
let serverWarnings = [];
let maxStep = 0;
let inside = null; // {key, k, runs}
let curvStart = null;
let curvPoint = null; // {key, k, run, point, data}
let fnValid = true;
let playing = false;
const invalid = new Set();
const timers = {};
const channels = {
  race: new Channel("/api/race"),
  grid: new Channel("/api/grid"),
  inside: new Channel("/api/inside"),
  curvStart: new Channel("/api/curvature"),
  curvPoint: new Channel("/api/curvature"),
  expression: new Channel("/api/expression"),
  python: new Channel("/api/python"),
};
let mapView = null;

function later(name, ms, fn) {
  clearTimeout(timers[name]);
  timers[name] = setTimeout(fn, ms);
}

function surfaceEntry() {
  return state.mode === "surface" ? catalog.surfaces.find((s) => s.name === state.surface) : null;
}

// the problem's fields ride at the top level of every request body (the server's schema)
function problem() {
  return state.mode === "surface" ? { surface: state.surface } : { expression: state.fn };
}

function defaultView() {
  const s = surfaceEntry();
  if (s) return S.domainView(s);
  return S.DEFAULT_VIEW_FUNCTION.slice();
}

function view() {
  return state.view || defaultView();
}

function colourIndex(i) {
  const o = state.opts[i];
  return o && o.color !== null && o.color !== undefined ? o.color : i % S.PALETTE.length;
}

function colourOf(i) {
  return S.PALETTE[colourIndex(i)].hex;
}

function raceBody() {
  return {
    ...problem(),
    start: state.x0.slice(),
    steps: state.steps,
    tol: state.tol,
    optimizers: state.opts.map((o) => ({
      name: o.name,
      hyper: { ...o.hyper },
      options: S.changedOptions(o, catalog.optimizers.find((e) => e.name === o.name)),
      schedule: o.schedule ? { name: o.schedule.name, params: { ...o.schedule.params } } : null,
    })),
  };
}

function raceKey() {
  return JSON.stringify(raceBody());
}

function problemReady() {
  return state.mode === "surface" || (fnValid && state.fn.trim() !== "");
}

// ---- URL ---------------------------------------------------------------------------------

function writeUrl() {
  if (currentView() !== "race") return;
  const hash = S.encode(state, catalog);
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

function scheduleUrl() {
  if (playing) return;
  later("url", 250, writeUrl);
}

// ---- errors and status -------------------------------------------------------------------

function busy(text) {
  $("busy").textContent = text;
}

// ---- race --------------------------------------------------------------------------------

function scheduleRace() {
  renderWarnings();
  scheduleUrl();
  later("race", 150, doRace);
}

async function doRace() {
  if (!problemReady()) return;
  if (invalid.size) {
    $("race-error").textContent = "Fix the highlighted values to race.";
    return;
  }
  if (!state.opts.length) {
    runs = [];
    serverWarnings = [];
    maxStep = 0;
    $("race-error").textContent = "";
    afterRace();
    return;
  }
  const body = raceBody();
  busy("racing…");
  let res;
  try {
    res = await channels.race.send(body);
  } catch (error) {
    busy("");
    $("race-error").textContent = describe(error);
    return;
  }
  if (res === undefined) return;
  busy(`raced in ${fmt(res.seconds, 2)} s`);
  $("race-error").textContent = "";
  runs = res.runs;
  serverWarnings = res.warnings || [];
  runs.key = JSON.stringify(body);
  afterRace();
}

let raceCount = 0;
let insideCount = 0;

function afterRace() {
  document.body.dataset.races = String(++raceCount); // for tests and tools: a race landed
  maxStep = runs.reduce((m, r) => Math.max(m, r.steps), 0);
  if (state.k === null || state.k === undefined || state.k > maxStep) state.k = maxStep;
  const scrub = $("scrubber");
  scrub.max = String(maxStep);
  scrub.value = String(state.k);
  renderResults();
  renderWarnings();
  renderCurvRunSelect();
  requestDraw();
  showStep();
  scheduleInside();
  scheduleCurvPoint();
  scheduleUrl();
}

// a short name for run i (the server's label, with every hyperparameter, is its tooltip)
function shortLabel(i) {
  const run = runs[i];
  const o = state.opts[i];
  const name = run ? run.name : o ? o.name : "?";
  return `${name} #${i + 1}`;
}

function stopText(run) {
  if (run.short === "diverged") return `diverged at step ${run.diverged_at >= 0 ? run.diverged_at : run.steps}`;
  if (run.short === "converged") return `converged at step ${run.steps}`;
  if (run.short === "max_steps") return "max_steps";
  return `${run.short} at step ${run.steps}`;
}

function vec(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return fmt(v, 5);
  if (Array.isArray(v)) return `(${v.map((x) => vec(x)).join(", ")})`;
  return String(v);
}

function swatch(colour) {
  const sw = el("span", { class: "swatch" });
  sw.style.background = colour;
  return sw;
}

function renderResults() {
  const tbody = $("results").querySelector("tbody");
  tbody.replaceChildren();
  runs.forEach((run, i) => {
    const tr = el("tr", {
      "data-index": String(i), "data-name": run.name, "data-steps": String(run.steps), "data-final-loss": String(run.final_loss),
      "data-short": String(run.short), "data-final-x": JSON.stringify(run.final_x),
    },
      el("td", { title: run.label || run.name }, swatch(colourOf(i)), shortLabel(i)),
      el("td", { class: `stop stop-${run.short}`, title: run.stop_reason, text: stopText(run) }),
      el("td", { class: "num steps", text: String(run.steps) }),
      el("td", { class: "num final-loss", text: fmt(run.final_loss, 6) }),
      el("td", { class: "num final-x", text: vec(run.final_x) }),
    );
    tbody.append(tr);
  });
}

// ---- warnings (the server's, and the curvature's before the run) -------------------------

function curvatureWarnings() {
  const out = [];
  if (!curvStart || !(curvStart.gd_lr_bound > 0)) return out;
  const bound = curvStart.gd_lr_bound;
  state.opts.forEach((o, i) => {
    if (o.schedule) return;
    const lr = o.hyper.lr;
    if (o.name === "gd" && lr > bound) {
      out.push(`gd #${i + 1}: lr ${fmt(lr)} is above 2/λmax = ${fmt(bound)} at the start: the step overshoots there and may diverge.`);
    }
    if (o.name === "momentum" && o.options.form === "sum" && !o.options.nesterov && !o.hyper.dampening) {
      const beta = o.hyper.beta;
      const hb = curvStart.heavy_ball_lr_bound;
      // the bound 2(1 + beta)/lambda_max, read from the server's 2/lambda_max
      const limit = bound * (1 + beta);
      if (lr > limit) {
        out.push(`momentum #${i + 1}: lr ${fmt(lr)} is above the heavy ball's ${hb && hb.formula ? hb.formula : "2(1 + beta)/λmax"} = ${fmt(limit)} at the start: the heavy ball is unstable there and may diverge.`);
      }
    }
  });
  return out;
}

function renderWarnings() {
  const box = $("warnings");
  box.replaceChildren();
  // before the run: the page's reading of the curvature at the start; once the run is
  // back: the server's warnings for exactly these settings
  const current = runs.key !== undefined && runs.key === raceKey();
  if (current) {
    for (const w of serverWarnings) {
      box.append(el("p", { class: "warn-server", text: `⚠ ${typeof w === "string" ? w : w.message || JSON.stringify(w)}` }));
    }
  } else {
    for (const text of curvatureWarnings()) box.append(el("p", { class: "warn-curvature", text: `⚠ ${text}` }));
  }
}

// ---- drawing -----------------------------------------------------------------------------

let drawPending = false;
function requestDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
  });
}

function pathUpTo(run, k) {
  const out = [];
  for (let i = 0; i < run.step.length && run.step[i] <= k; i++) out.push(run.path[i]);
  return out;
}

function pointAt(run, k) {
  const path = pathUpTo(run, k);
  for (let i = path.length - 1; i >= 0; i--) if (path[i][0] !== null && path[i][1] !== null) return path[i];
  return null;
}

function lossSeries() {
  const { offset, title } = lossOffset(surfaceEntry(), runs.flatMap((r) => r.loss));
  const series = runs.map((r, i) => ({
    colour: colourOf(i),
    dash: Math.floor(i / S.PALETTE.length),
    steps: r.step,
    values: r.loss.map((v) => (v === null ? null : v - offset)),
  }));
  return { series, title };
}

function draw() {
  if (!catalog || !state) return; // (a resize before the race view was ever shown)
  const k = state.k || 0;
  const arrows = [];
  if (inside && inside.key === runs.key && inside.k === k) {
    inside.runs.forEach((r, i) => {
      if (r.x && r.update && r.x.length === 2) {
        arrows.push({ from: r.x, to: [r.x[0] + r.update[0], r.x[1] + r.update[1]], colour: colourOf(i) });
      }
    });
  }
  mapView.draw({
    view: view(),
    surface: surfaceEntry(),
    start: state.x0,
    runs: runs.map((r, i) => ({ colour: colourOf(i), dash: Math.floor(i / S.PALETTE.length), path: pathUpTo(r, k) })),
    arrows,
  });
  const { series, title } = lossSeries();
  drawLossChart($("loss"), series, k, maxStep, title);
}

function showStep() {
  const k = state.k || 0;
  $("step-out").textContent = `step ${k} / ${maxStep}`;
  $("scrubber").value = String(k);
  $("scrubber").setAttribute("aria-valuetext", `step ${k} of ${maxStep}`);
}

// ---- the grid ----------------------------------------------------------------------------

function scheduleGrid(ms = 120) {
  later("grid", ms, doGrid);
}

async function doGrid() {
  if (!problemReady()) return;
  const n = Math.min(GRID_N, catalog.limits.grid || GRID_N);
  try {
    const res = await channels.grid.send({ ...problem(), view: view(), n });
    if (res === undefined) return;
    mapView.setGrid(res);
    requestDraw();
  } catch (error) {
    $("race-error").textContent = `grid: ${describe(error)}`;
  }
}

// ---- inside the step ---------------------------------------------------------------------

let lastInside = 0;
function scheduleInside() {
  if (!runs.length) {
    inside = null;
    renderInside();
    return;
  }
  if (playing) {
    const now = performance.now();
    if (now - lastInside < 400) return;
    lastInside = now;
    doInside();
    return;
  }
  later("inside", 120, doInside);
}

async function doInside() {
  if (!runs.length || !problemReady() || invalid.size) return;
  const k = state.k || 0;
  const key = runs.key;
  const body = { ...JSON.parse(key), step: k };
  try {
    const res = await channels.inside.send(body);
    if (res === undefined || key !== runs.key) return;
    inside = { key, k, runs: res.runs };
    renderInside();
    requestDraw();
  } catch (error) {
    $("inside").textContent = describe(error);
  }
}

const LABELS = {
  x: "x (the point)",
  grad: "gradient g",
  update: "update Δx",
  m: "m (first moment)",
  v: "v (second moment)",
  m_hat: "m̂ (bias-corrected m)",
  v_hat: "v̂ (bias-corrected v)",
  effective_lr: "effective step size",
  momentum: "momentum",
  velocity: "velocity",
  trace: "momentum buffer",
};

// a table of [label, text, key] rows: the label a row header; key, when given, the row's data-key
function kvTable(rows) {
  return el("table", { class: "kv" },
    ...rows.map(([label, text, key]) => el("tr", { "data-key": key }, el("th", { scope: "row", text: label }), el("td", { text }))));
}

function rowsOf(prefix, value, out) {
  if (value === null || value === undefined) return out;
  if (typeof value === "number" || Array.isArray(value) || typeof value !== "object") {
    out.push([prefix, vec(value)]);
    return out;
  }
  for (const [k, v] of Object.entries(value)) rowsOf(prefix ? `${prefix}.${k}` : k, v, out);
  return out;
}

function renderInside() {
  const box = $("inside");
  box.replaceChildren();
  if (!inside || inside.key !== runs.key) {
    $("inside-step").textContent = "";
    return;
  }
  $("inside-step").textContent = `at step ${inside.k}`;
  document.body.dataset.insides = String(++insideCount);
  inside.runs.forEach((r, i) => {
    const h = el("h3", { title: runs[i] ? runs[i].label || "" : "" }, swatch(colourOf(i)), `${shortLabel(i)} · step ${r.step}`);
    const rows = [["x", vec(r.x)], ["grad", vec(r.grad)]];
    rowsOf("", r.state, rows);
    if (r.derived) rowsOf("", r.derived, rows);
    rows.push(["update", vec(r.update)]);
    const table = kvTable(rows.map(([key, text]) => [LABELS[key] || key, text, key]));
    box.append(el("article", { "data-index": String(i), "data-step": String(r.step) }, h, table, el("pre", { class: "formula", text: r.formula || "" })));
  });
}

// ---- curvature ---------------------------------------------------------------------------

async function doCurvStart() {
  if (!problemReady()) return;
  try {
    const res = await channels.curvStart.send({ ...problem(), point: state.x0.slice() });
    if (res === undefined) return;
    curvStart = { ...res, point: state.x0.slice() };
    renderCurvature();
    renderWarnings();
  } catch (error) {
    curvStart = null;
    $("curvature").textContent = describe(error);
  }
}

function renderCurvRunSelect() {
  const select = $("curv-run");
  const old = select.value;
  select.replaceChildren();
  appendOptions(select, runs.map((r, i) => [String(i), shortLabel(i)]));
  if (old && Number(old) < runs.length) select.value = old;
}

function scheduleCurvPoint() {
  if (playing || !runs.length) return;
  later("curv", 200, doCurvPoint);
}

async function doCurvPoint() {
  const i = Number($("curv-run").value || 0);
  const run = runs[i];
  if (!run || !problemReady()) return;
  const k = state.k || 0;
  const point = pointAt(run, k);
  if (!point) return;
  try {
    const res = await channels.curvPoint.send({ ...problem(), point });
    if (res === undefined) return;
    curvPoint = { k, run: i, point, data: res };
    renderCurvature();
  } catch (error) {
    curvPoint = null;
    renderCurvature();
  }
}

function curvArticle(title, data) {
  const hb = data.heavy_ball_lr_bound || {};
  const table = kvTable([
    ["eigenvalues λ", vec(data.eigenvalues)],
    ["condition number κ", fmt(data.condition, 5)],
    ["2/λmax (gd bound)", fmt(data.gd_lr_bound, 5)],
    [`heavy ball ${hb.formula || "2(1+β)/λmax"}, β = 0.9`, fmt(hb["at_beta_0.9"], 5)],
    ["Hessian", vec(data.hessian)],
  ]);
  return el("article", {}, el("h3", { text: title }), table);
}

function renderCurvature() {
  const box = $("curvature");
  box.replaceChildren();
  if (curvStart) {
    const a = curvArticle(`at the start ${vec(curvStart.point)}`, curvStart);
    a.dataset.where = "start";
    box.append(a);
  }
  if (curvPoint && runs[curvPoint.run]) {
    const r = runs[curvPoint.run];
    const a = curvArticle(`${shortLabel(curvPoint.run)} at step ${Math.min(curvPoint.k, r.steps)} ${vec(curvPoint.point)}`, curvPoint.data);
    a.dataset.where = "point";
    box.append(a);
  }
}

// ---- playback ----------------------------------------------------------------------------

let rafId = 0;
let lastFrame = 0;
let carry = 0;

function setPlaying(on) {
  playing = on;
  const btn = $("play");
  btn.textContent = on ? "❚❚ Pause" : "▶ Play";
  btn.setAttribute("aria-pressed", on ? "true" : "false");
  if (on) {
    if ((state.k || 0) >= maxStep) state.k = 0;
    lastFrame = performance.now();
    carry = 0;
    rafId = requestAnimationFrame(frame);
  } else {
    cancelAnimationFrame(rafId);
    scheduleInside();
    scheduleCurvPoint();
    scheduleUrl();
  }
}

function togglePlay() {
  if (!runs.length) return;
  setPlaying(!playing);
}

function frame(now) {
  if (!playing) return;
  const speed = Number($("speed").value);
  carry += ((now - lastFrame) / 1000) * speed;
  lastFrame = now;
  const advance = Math.floor(carry);
  if (advance > 0) {
    carry -= advance;
    state.k = Math.min(maxStep, (state.k || 0) + advance);
    showStep();
    requestDraw();
    scheduleInside();
  }
  if (state.k >= maxStep) {
    setPlaying(false);
    return;
  }
  rafId = requestAnimationFrame(frame);
}

function setStep(k) {
  state.k = Math.max(0, Math.min(maxStep, Math.round(k)));
  showStep();
  requestDraw();
  scheduleInside();
  scheduleCurvPoint();
  scheduleUrl();
}

function stepBy(d) {
  if (playing) setPlaying(false);
  setStep((state.k || 0) + d);
}

// ---- problem, start and settings ---------------------------------------------------------

function syncProblemControls() {
  $("mode-surface").checked = state.mode === "surface";
  $("mode-function").checked = state.mode === "function";
  $("surface-row").hidden = state.mode !== "surface";
  $("function-row").hidden = state.mode !== "function";
  $("surface-select").value = state.surface;
  $("fn-input").value = state.fn;
  const s = surfaceEntry();
  $("surface-formula").textContent = s ? `f = ${s.formula}` : "";
  $("surface-desc").textContent = s ? s.description : "A typed function of x and y.";
  syncStart();
  $("steps").value = String(state.steps);
  $("tol").value = String(state.tol);
}

function syncStart() {
  $("start-x").value = String(state.x0[0]);
  $("start-y").value = String(state.x0[1]);
}

function problemChanged() {
  inside = null;
  curvPoint = null;
  curvStart = null;
  renderInside();
  renderCurvature();
  scheduleGrid(0);
  later("curvStart", 0, doCurvStart);
  scheduleRace();
}

function startChanged() {
  syncStart();
  requestDraw();
  later("curvStart", 100, doCurvStart);
  scheduleRace();
}

function reseedRates() {
  const s = S.defaultsSource(catalog, surfaceEntry());
  for (const o of state.opts) {
    const entry = catalog.optimizers.find((e) => e.name === o.name);
    const lr = S.startingLr(entry, s);
    if (lr !== undefined && "lr" in o.hyper) o.hyper.lr = lr;
  }
  renderCards();
}

function setSurface(name) {
  state.mode = "surface";
  state.surface = name;
  state.view = null;
  state.k = null;
  state.x0 = surfaceEntry().start.slice();
  reseedRates();
  syncProblemControls();
  problemChanged();
}

function showExpressionError(message, column) {
  const input = $("fn-input");
  const caret = $("fn-caret");
  $("fn-error").textContent = message || "";
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
  if (message && Number.isInteger(column) && column >= 1) {
    caret.textContent = " ".repeat(column - 1) + "^";
    caret.hidden = false;
    caret.dataset.column = String(column);
  } else {
    caret.textContent = "";
    caret.hidden = true;
    delete caret.dataset.column;
  }
}

async function validateExpression() {
  const text = $("fn-input").value;
  state.fn = text;
  scheduleUrl();
  if (!text.trim()) {
    fnValid = false;
    showExpressionError("Type a function of x and y.", null);
    return;
  }
  let res;
  try {
    res = await channels.expression.send({ text });
  } catch (error) {
    fnValid = false;
    const d = error instanceof ApiError ? error.detail : {};
    showExpressionError(error instanceof ApiError ? d.message : describe(error), d.column);
    mapView.setGrid(null);
    curvStart = null;
    curvPoint = null;
    renderCurvature();
    $("surface-desc").textContent = "";
    runs = [];
    afterRace();
    return;
  }
  if (res === undefined || $("fn-input").value !== text) return;
  fnValid = true;
  showExpressionError("", null);
  $("surface-formula").textContent = "";
  $("surface-desc").textContent = `f(x, y) = ${res.formula || res.normalised}`;
  problemChanged();
}

// ---- optimizers --------------------------------------------------------------------------

function renderCards() {
  const box = $("cards");
  box.replaceChildren();
  invalid.clear();
  state.opts.forEach((opt, i) => {
    box.append(
      buildCard(opt, i, {
        catalog,
        colourOf,
        invalid,
        onChange: (kind) => {
          if (kind === "colour") {
            renderCards();
            renderResults();
            requestDraw();
            scheduleUrl();
            return;
          }
          if (kind === "invalid") {
            renderWarnings();
            return;
          }
          scheduleRace();
        },
        onRemove: (index) => {
          state.opts.splice(index, 1);
          runs.splice(index, 1);
          inside = null;
          renderCards();
          renderResults();
          renderInside();
          requestDraw();
          scheduleRace();
          const next = $("cards").querySelectorAll(".remove")[Math.min(index, state.opts.length - 1)];
          (next || $("add-select")).focus();
        },
      }),
    );
  });
  const full = state.opts.length >= catalog.limits.optimizers;
  $("add-btn").disabled = full;
  $("opt-count").textContent = `${state.opts.length} of at most ${catalog.limits.optimizers}`;
}

function addOptimizer() {
  if (state.opts.length >= catalog.limits.optimizers) return;
  const entry = catalog.optimizers.find((e) => e.name === $("add-select").value);
  if (!entry) return;
  state.opts.push(S.newOptimizer(entry, S.defaultsSource(catalog, surfaceEntry())));
  renderCards();
  scheduleRace();
  const cards = $("cards").querySelectorAll(".card");
  const slider = cards[cards.length - 1].querySelector("input");
  if (slider) slider.focus();
}

// ---- Python ------------------------------------------------------------------------------

async function copyPython() {
  const status = $("py-status");
  status.textContent = "writing…";
  let res;
  try {
    res = await channels.python.send(raceBody());
  } catch (error) {
    status.textContent = describe(error);
    return;
  }
  if (res === undefined) return;
  const area = $("py-code");
  area.value = res.code;
  await copyText(area, status, "copied to the clipboard", "selected: press Ctrl+C (or ⌘C) to copy");
}

// ---- map interaction ---------------------------------------------------------------------

function zoom(factor, centre) {
  const v = view();
  const [cx, cy] = centre || [(v[0] + v[1]) / 2, (v[2] + v[3]) / 2];
  state.view = [cx + (v[0] - cx) * factor, cx + (v[1] - cx) * factor, cy + (v[2] - cy) * factor, cy + (v[3] - cy) * factor];
  requestDraw();
  scheduleGrid();
  scheduleUrl();
}

function roundTo(value, span) {
  const step = Math.pow(10, Math.floor(Math.log10(span)) - 3);
  return +(Math.round(value / step) * step).toPrecision(10);
}

function wireMap() {
  const canvas = $("map");
  let down = null;
  canvas.addEventListener("pointerdown", (e) => {
    const rect = canvas.getBoundingClientRect();
    down = { x: e.clientX - rect.left, y: e.clientY - rect.top, view: view(), moved: false, id: e.pointerId };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!down) return;
    const rect = canvas.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    if (!down.moved && Math.hypot(px - down.x, py - down.y) < 5) return;
    down.moved = true;
    canvas.classList.add("dragging");
    const r = mapView.plotRect();
    const v = down.view;
    const dx = ((px - down.x) / r.width) * (v[1] - v[0]);
    const dy = ((py - down.y) / r.height) * (v[3] - v[2]);
    state.view = [v[0] - dx, v[1] - dx, v[2] + dy, v[3] + dy];
    requestDraw();
    scheduleGrid(200);
  });
  const end = (e) => {
    if (!down) return;
    const d = down;
    down = null;
    canvas.classList.remove("dragging");
    if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
    if (d.moved) {
      scheduleGrid(0);
      scheduleUrl();
      return;
    }
    if (e.type === "pointercancel" || !mapView.insidePlot(d.x, d.y)) return;
    const v = view();
    const [x, y] = mapView.toData(v, d.x, d.y);
    state.x0 = [roundTo(x, v[1] - v[0]), roundTo(y, v[3] - v[2])];
    startChanged();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const centre = mapView.toData(view(), e.clientX - rect.left, e.clientY - rect.top);
      zoom(e.deltaY > 0 ? 1.2 : 1 / 1.2, centre);
    },
    { passive: false },
  );
  $("zoom-in").addEventListener("click", () => zoom(1 / 1.5));
  $("zoom-out").addEventListener("click", () => zoom(1.5));
  $("zoom-reset").addEventListener("click", () => {
    state.view = null;
    requestDraw();
    scheduleGrid(0);
    scheduleUrl();
  });
}

// ---- keyboard ----------------------------------------------------------------------------

function wireKeys() {
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    const tag = t.tagName;
    const type = (t.type || "").toLowerCase();
    const typing = tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && !["range", "button"].includes(type));
    if (typing || currentView() !== "race") return;
    if (e.key === " " || e.key === "Spacebar") {
      if (tag === "BUTTON" || tag === "SUMMARY" || tag === "A") return; // their own action
      e.preventDefault();
      togglePlay();
    } else if ((e.key === "ArrowRight" || e.key === "ArrowLeft") && !(tag === "INPUT" && type === "range")) {
      e.preventDefault();
      stepBy((e.key === "ArrowRight" ? 1 : -1) * (e.shiftKey ? 10 : 1));
    } else if ((e.key === "+" || e.key === "=") && tag !== "INPUT") {
      zoom(1 / 1.5);
    } else if (e.key === "-" && tag !== "INPUT") {
      zoom(1.5);
    }
  });
}

// ---- start-up ----------------------------------------------------------------------------

function defaultState() {
  const st = S.blank();
  const s = catalog.surfaces.find((x) => x.name === st.surface) || catalog.surfaces[0];
  st.surface = s.name;
  st.x0 = s.start.slice();
  for (const name of ["gd", "adam"]) {
    const entry = catalog.optimizers.find((e) => e.name === name);
    if (entry) st.opts.push(S.newOptimizer(entry, s));
  }
  return st;
}

// The race is shown with the hash `hash` (views.js): load it unless it is the state shown.
function restoreRace(hash) {
  if (!state || hash !== S.encode(state, catalog)) loadFromHash();
  else requestDraw();
}

function loadFromHash() {
  state = S.decode(location.hash, catalog) || defaultState();
  runs = [];
  inside = null;
  curvPoint = null;
  fnValid = state.mode === "surface";
  syncProblemControls();
  renderCards();
  renderResults();
  if (state.mode === "function") validateExpression();
  else problemChanged();
}

function wireControls() {
  $("mode-surface").addEventListener("change", () => setSurface($("surface-select").value || state.surface));
  $("mode-function").addEventListener("change", () => {
    state.mode = "function";
    state.view = null;
    state.k = null;
    fnValid = false;
    syncProblemControls();
    validateExpression();
  });
  $("surface-select").addEventListener("change", () => setSurface($("surface-select").value));
  $("fn-input").addEventListener("input", () => later("expr", 300, validateExpression));
  $("fn-input").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      clearTimeout(timers.expr);
      validateExpression();
    }
  });
  for (const [id, i] of [["start-x", 0], ["start-y", 1]]) {
    $(id).addEventListener("change", () => {
      const v = Number($(id).value);
      if ($(id).value.trim() === "" || !Number.isFinite(v)) {
        $(id).setAttribute("aria-invalid", "true");
        return;
      }
      $(id).removeAttribute("aria-invalid");
      state.x0[i] = v;
      startChanged();
    });
  }
  $("steps").addEventListener("change", () => {
    const n = Number($("steps").value);
    if (!Number.isInteger(n) || n < 1 || n > catalog.limits.steps) {
      $("steps").setAttribute("aria-invalid", "true");
      $("race-error").textContent = `max steps must be an integer from 1 to ${catalog.limits.steps}`;
      return;
    }
    $("steps").removeAttribute("aria-invalid");
    state.steps = n;
    state.k = null;
    scheduleRace();
  });
  $("tol").addEventListener("change", () => {
    const v = Number($("tol").value);
    if (!Number.isFinite(v) || v < 0) {
      $("tol").setAttribute("aria-invalid", "true");
      return;
    }
    $("tol").removeAttribute("aria-invalid");
    state.tol = v;
    scheduleRace();
  });
  $("add-btn").addEventListener("click", addOptimizer);
  $("play").addEventListener("click", togglePlay);
  $("step-back").addEventListener("click", () => stepBy(-1));
  $("step-fwd").addEventListener("click", () => stepBy(1));
  $("scrubber").addEventListener("input", () => {
    if (playing) setPlaying(false);
    setStep(Number($("scrubber").value));
  });
  $("curv-run").addEventListener("change", () => scheduleCurvPoint());
  $("py-btn").addEventListener("click", copyPython);
  window.addEventListener("resize", requestDraw);
}

async function main() {
  mapView = new MapView($("map"));
  try {
    catalog = await get("/api/catalog");
  } catch (error) {
    $("race-error").textContent = `could not load the catalogue: ${describe(error)}`;
    return;
  }
  appendOptions($("surface-select"), catalog.surfaces.map((s) => [s.name, s.name]));
  appendOptions($("add-select"), catalog.optimizers.map((e) => [e.name, e.name]));
  wireControls();
  wireMap();
  wireKeys();
  await startViews(catalog, { restore: restoreRace, hash: () => (state ? S.encode(state, catalog) : "") });
  document.body.dataset.ready = "true";
}

main();
