// The maps view: basin maps, stability maps, the fair race and seed fans, each computed by
// the server as one vmapped program (POST /api/basins, /api/stability, /api/fair, /api/fan)
// and drawn here. The hash holds the whole state (views.js adds view=maps):
//   #view=maps&map=basins&s=himmelblau&o=gd:lr=0.01&res=128&n=1000
// Each sub-view has its own keys (defaults are left out): basins o, res, n, tol, b;
// stability rule, x, y, xr, yr, fx (the rule's other settings), sres, sn, stol, show;
// fair rules, budget, starts, grid, tune, metric, ftol, seed; fan fo, seeds, noise, decay,
// x0, fsteps, fseed. s=<surface> or f=<typed function> is shared. Every number drawn is the server's; "Copy as Python" shows
// the ds.insight call the server wrote for the result shown.
import { Channel, get } from "./api.js";
import { isoLines, ticks } from "./contour.js";
import {
  MapView, axes, blank, cellImage, clipTo, drawLossChart, fitToParent, fmt, innerRect, linearScales, lossOffset, star, strokeSegments,
} from "./plots.js";
import { changedOptions, defaultsSource, domainView, encodeOptimizer, newOptimizer, numberList, optionToken } from "./state.js";
import { $, appendOptions, bump, copyText, describe, el } from "./ui.js";

const KINDS = ["basins", "stability", "fair", "fan"];
const TITLES = { basins: "Basins", stability: "Stability", fair: "Fair race", fan: "Seed fan" };
const ENDPOINTS = { basins: "/api/basins", stability: "/api/stability", fair: "/api/fair", fan: "/api/fan" };
const MARGIN = { left: 56, right: 12, top: 12, bottom: 40 };
// basin colours: Okabe-Ito and Tol's muted, lightened so that the stars stay readable
const BASIN_HEX = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#882255",
  "#44AA99", "#999933", "#AA4499", "#117733", "#332288"];
const DIVERGED_RGB = [45, 45, 45];
const UNCONVERGED_RGB = [222, 222, 222]; // the stability map's runs that did not reach tol
const HEAT = [[253, 231, 37], [94, 201, 98], [33, 145, 140], [59, 82, 139], [68, 1, 84]]; // viridis, reversed: low = light
const LEGEND_BASINS = 12; // basins listed one by one in the legend
const RULE_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];

const DEFAULTS = {
  map: "basins", mode: "surface", surface: "himmelblau", fn: "x^4 - 2*x^2 + y^2 + x*y/2",
  res: 128, n: 1000, tol: 1e-6, b: null,
  rule: "momentum", x: "lr", y: null, xr: null, yr: null, fixed: {}, sres: 64, sn: 1000, stol: 1e-6, show: "loss",
  rules: ["gd", "momentum", "adam"], budget: 1000, starts: 8, grid: 32, tune: "lr", metric: "steps", ftol: 1e-6, seed: 0,
  seeds: 32, noise: 2, decay: 0, x0: null, fsteps: 1000, fseed: 0,
};
const NUMBERS = ["res", "n", "tol", "sres", "sn", "stol", "budget", "starts", "grid", "ftol", "seed", "seeds", "noise", "decay", "fsteps", "fseed"];

let catalog = null;
let limits = {};
let writeHash = () => {};
let root = null;
let st = null;
const results = {}; // kind -> {key, data}
const inflight = {}; // kind -> the key of the request in flight
const channels = Object.fromEntries(KINDS.map((k) => [k, new Channel(ENDPOINTS[k])]));
const gridChannel = new Channel("/api/grid");
let fanGrid = null; // {key, grid}
let basinIso = null; // {key, lines}: the surface's iso-lines over the basin map
let fanMap = null;
let computeCount = 0;

// ---- state and the URL -------------------------------------------------------------------

function entryOf(name) {
  return catalog.optimizers.find((e) => e.name === name);
}

function surfaceEntry() {
  return st.mode === "surface" ? catalog.surfaces.find((s) => s.name === st.surface) : null;
}

function newOpt(name) {
  return newOptimizer(entryOf(name) || catalog.optimizers[0], defaultsSource(catalog, surfaceEntry()));
}

// "lr=0.01,form=ema": the hyperparameters and options of the entry it names, read
function parseSettings(text, entry) {
  const hyper = {};
  const options = {};
  for (const pair of (text || "").split(",").filter(Boolean)) {
    const [key, raw] = pair.split("=");
    const h = entry.hyperparameters.find((x) => x.name === key);
    const o = entry.options.find((x) => x.name === key);
    if (h && raw !== "" && Number.isFinite(Number(raw))) hyper[key] = Number(raw);
    else if (o) {
      const value = o.choices.find((c) => optionToken(c) === raw);
      if (value !== undefined) options[key] = value;
    }
  }
  return { hyper, options };
}

function parseOpt(text) {
  if (!text) return null;
  const colon = text.indexOf(":");
  const name = colon < 0 ? text : text.slice(0, colon);
  const entry = entryOf(name);
  if (!entry) return null;
  const opt = newOpt(name);
  const { hyper, options } = parseSettings(colon < 0 ? "" : text.slice(colon + 1), entry);
  Object.assign(opt.hyper, hyper);
  Object.assign(opt.options, options);
  return opt;
}

// the stability map's other hyperparameters and options: fx=beta=0.5,form=ema
function parseFixed(text, entry) {
  const { hyper, options } = parseSettings(text, entry);
  return { ...hyper, ...options };
}

function decode(params) {
  const s = { ...DEFAULTS, rules: DEFAULTS.rules.slice() };
  st = s; // newOpt reads the surface
  const map = params.get("map");
  if (KINDS.includes(map)) s.map = map;
  if (params.has("f")) {
    s.mode = "function";
    s.fn = params.get("f");
  } else if (params.has("s") && catalog.surfaces.some((x) => x.name === params.get("s"))) {
    s.surface = params.get("s");
  }
  for (const key of NUMBERS) {
    if (!params.has(key)) continue;
    const v = Number(params.get(key));
    if (params.get(key) !== "" && Number.isFinite(v)) s[key] = v;
  }
  s.o = parseOpt(params.get("o")) || newOpt("gd");
  s.fo = parseOpt(params.get("fo")) || newOpt("gd");
  s.b = numberList(params.get("b"), 4);
  s.x0 = numberList(params.get("x0"), 2);
  s.xr = numberList(params.get("xr"), 2);
  s.yr = numberList(params.get("yr"), 2);
  if (params.has("rule") && entryOf(params.get("rule"))) s.rule = params.get("rule");
  const hyperNames = entryOf(s.rule).hyperparameters.map((h) => h.name);
  if (params.has("x") && hyperNames.includes(params.get("x"))) s.x = params.get("x");
  if (params.has("y") && hyperNames.includes(params.get("y"))) s.y = params.get("y");
  if (params.get("show") === "steps") s.show = "steps";
  s.fixed = parseFixed(params.get("fx"), entryOf(s.rule));
  if (params.has("rules")) {
    const names = params.get("rules").split(",").filter((n) => entryOf(n));
    if (names.length) s.rules = [...new Set(names)];
  }
  if (["lr", "all"].includes(params.get("tune"))) s.tune = params.get("tune");
  if (["steps", "loss"].includes(params.get("metric"))) s.metric = params.get("metric");
  return s;
}

function encode() {
  const p = new URLSearchParams();
  p.set("map", st.map);
  if (st.mode === "function") p.set("f", st.fn);
  else p.set("s", st.surface);
  const put = (key, value, text = String(value)) => {
    const d = DEFAULTS[key];
    const same = Array.isArray(d) ? Array.isArray(value) && d.join() === value.join() : d === value;
    if (!same && value !== null && value !== undefined) p.set(key, text);
  };
  const keys = {
    basins: () => {
      p.set("o", encodeOptimizer(st.o, entryOf(st.o.name)));
      ["res", "n", "tol"].forEach((k) => put(k, st[k]));
      if (st.b) p.set("b", st.b.join(","));
    },
    stability: () => {
      ["rule", "x", "y", "sres", "sn", "stol", "show"].forEach((k) => put(k, st[k]));
      if (Object.keys(st.fixed).length) {
        p.set("fx", Object.entries(st.fixed).map(([k, v]) => `${k}=${optionToken(v)}`).join(","));
      }
      if (st.xr) p.set("xr", st.xr.join(","));
      if (st.yr) p.set("yr", st.yr.join(","));
    },
    fair: () => {
      put("rules", st.rules, st.rules.join(","));
      ["budget", "starts", "grid", "tune", "metric", "ftol", "seed"].forEach((k) => put(k, st[k]));
    },
    fan: () => {
      p.set("fo", encodeOptimizer(st.fo, entryOf(st.fo.name)));
      ["seeds", "noise", "decay", "fsteps", "fseed"].forEach((k) => put(k, st[k]));
      if (st.x0) p.set("x0", st.x0.join(","));
    },
  };
  keys[st.map]();
  return p;
}

function saveHash() {
  writeHash(encode());
}

// ---- request bodies ----------------------------------------------------------------------

function problem() {
  return st.mode === "surface" ? { surface: st.surface } : { expression: st.fn };
}

function optBody(opt) {
  return { name: opt.name, hyper: { ...opt.hyper }, options: changedOptions(opt, entryOf(opt.name)) };
}

function body(kind) {
  const base = problem();
  if (kind === "basins") {
    return { ...base, optimizer: optBody(st.o), resolution: st.res, steps: st.n, tol: st.tol, bounds: st.b };
  }
  if (kind === "stability") {
    return { ...base, rule: st.rule, x: st.x, y: st.y, x_range: st.xr, y_range: st.yr, fixed: { ...st.fixed }, resolution: st.sres, steps: st.sn, tol: st.stol };
  }
  if (kind === "fair") {
    return { ...base, rules: st.rules, budget: st.budget, starts: st.starts, grid: st.grid, tune: st.tune, metric: st.metric, tol: st.ftol, seed: st.seed };
  }
  return { ...base, optimizer: optBody(st.fo), seeds: st.seeds, noise: st.noise, decay: st.decay, start: st.x0, steps: st.fsteps, seed: st.fseed };
}

// ---- controls ----------------------------------------------------------------------------

function numberInput(key, label, attrs = {}) {
  const id = `maps-${key}`;
  const input = el("input", { id, type: "number", step: "any", inputmode: "decimal", "data-key": key, ...attrs });
  return el("label", { for: id, class: "maps-field" }, `${label} `, input);
}

function pairInputs(key, label, names, field) {
  const wrap = el("fieldset", { class: "maps-pair", "data-field": field });
  wrap.append(el("legend", { text: label }));
  names.forEach((name, i) => {
    const id = `maps-${key}-${i}`;
    wrap.append(el("label", { for: id }, `${name} `, el("input", { id, type: "number", step: "any", "data-pair": key, "data-index": String(i), placeholder: "default" })));
  });
  return wrap;
}

function selectOf(id, pairs, label, attrs = {}) {
  const select = appendOptions(el("select", { id, ...attrs }), pairs);
  return el("label", { for: id, class: "maps-field" }, `${label} `, select);
}

// a hyperparameter's number input and an option's select, labelled with their names
function hyperField(id, h, value, attrs) {
  const input = el("input", { id, type: "number", step: "any", ...attrs, title: h.help || h.name });
  input.value = String(value);
  return el("label", { for: id, class: "maps-field" }, `${h.name} `, input);
}

function optionField(id, o, value, attrs) {
  const select = el("select", { id, ...attrs, title: o.help || o.name });
  appendOptions(select, o.choices.map((c) => [optionToken(c), optionToken(c)]));
  select.value = optionToken(value);
  return el("label", { for: id, class: "maps-field" }, `${o.name} `, select);
}

function optimizerBox(key) {
  const box = el("fieldset", { class: "maps-opt", id: `maps-${key}-box` });
  box.append(el("legend", { text: "Optimizer" }));
  box.append(selectOf(`maps-${key}-name`, catalog.optimizers.map((e) => [e.name, e.name]), "rule", { "data-opt": key }));
  box.append(el("div", { class: "maps-hyper", id: `maps-${key}-hyper` }));
  return box;
}

function renderHyper(key) {
  const opt = st[key];
  const entry = entryOf(opt.name);
  const wrap = $(`maps-${key}-hyper`);
  wrap.replaceChildren();
  $(`maps-${key}-name`).value = opt.name;
  for (const h of entry.hyperparameters) {
    wrap.append(hyperField(`maps-${key}-h-${h.name}`, h, opt.hyper[h.name], { "data-opt": key, "data-hyper": h.name, "data-field": `optimizer.hyper.${h.name}` }));
  }
  for (const o of entry.options) {
    wrap.append(optionField(`maps-${key}-o-${o.name}`, o, opt.options[o.name], { "data-opt": key, "data-option": o.name }));
  }
}

function panel(kind) {
  const section = el("section", { id: `maps-${kind}`, class: "maps-panel", role: "tabpanel", "aria-labelledby": `maps-tab-${kind}`, hidden: true });
  const form = el("form", { class: "panel maps-form", id: `maps-form-${kind}`, "aria-label": `${TITLES[kind]} settings`, novalidate: true });
  const canvasLabel = {
    basins: "Basin map: each start of the grid coloured by the minimum its run reaches",
    stability: "Stability map: the final loss over a grid of two hyperparameters, with the theory's boundary",
    fair: "Fair race: each tuned optimizer's result from every race start",
    fan: "Seed fan: every seed's path over the contour map",
  }[kind];
  const out = el("div", { class: "panel maps-out" },
    el("h2", { id: `maps-h-${kind}` }, TITLES[kind], " ", el("span", { class: "busy", id: `maps-status-${kind}`, "aria-live": "polite" })),
    el("p", { class: "error", id: `maps-error-${kind}`, role: "alert" }),
    el("div", { class: "canvas-wrap" }, el("canvas", { id: `maps-canvas-${kind}`, role: "img", "aria-label": canvasLabel })),
  );
  if (kind === "fan") {
    out.append(el("div", { class: "canvas-wrap" }, el("canvas", { id: "maps-fan-loss", role: "img", "aria-label": "Each seed's loss against the step, with the median and the 10% and 90% quantiles" })));
  }
  out.append(el("div", { class: "maps-legend", id: `maps-legend-${kind}`, "aria-live": "polite" }));
  const py = el("div", { class: "maps-python" },
    el("h3", { text: "Copy as Python" }),
    el("div", { class: "row" }, el("button", { type: "button", id: `maps-py-btn-${kind}`, text: "Copy as Python" }), el("span", { class: "hint", id: `maps-py-status-${kind}`, role: "status" })),
    el("textarea", { id: `maps-py-${kind}`, rows: "7", readonly: true, spellcheck: "false", "aria-label": `Python code that reproduces this ${TITLES[kind].toLowerCase()}` }),
  );
  out.append(py);
  if (kind === "basins") {
    form.append(optimizerBox("o"),
      numberInput("res", "resolution", { min: limits.resolution_min, max: limits.resolution, step: "1", "data-field": "resolution" }),
      numberInput("n", "max steps", { min: 1, max: limits.steps, step: "1", "data-field": "steps" }),
      numberInput("tol", "tol", { min: 0, "data-field": "tol" }),
      pairInputs("b", "Bounds (blank: the surface's domain)", ["x min", "x max", "y min", "y max"], "bounds"));
  } else if (kind === "stability") {
    form.append(selectOf("maps-rule", catalog.optimizers.map((e) => [e.name, e.name]), "rule", { "data-field": "rule" }),
      el("span", { id: "maps-axes" }),
      el("fieldset", { id: "maps-fixed", class: "maps-opt", "data-field": "fixed" }),
      pairInputs("xr", "x range (blank: default)", ["low", "high"], "x_range"),
      pairInputs("yr", "y range (blank: default)", ["low", "high"], "y_range"),
      numberInput("sres", "resolution", { min: limits.resolution_min, max: limits.resolution, step: "1", "data-field": "resolution" }),
      numberInput("sn", "max steps", { min: 1, max: limits.steps, step: "1", "data-field": "steps" }),
      numberInput("stol", "tol", { min: 0, "data-field": "tol" }),
      selectOf("maps-show", [["loss", "final loss"], ["steps", "steps to tol"]], "colour by"));
  } else if (kind === "fair") {
    const rules = el("fieldset", { class: "maps-rules", id: "maps-rules", "data-field": "rules" }, el("legend", { text: `Rules (at most ${limits.rules})` }));
    for (const e of catalog.optimizers) {
      const id = `maps-rule-${e.name}`;
      rules.append(el("label", { for: id }, el("input", { type: "checkbox", id, "data-rule": e.name }), ` ${e.name}`));
    }
    form.append(rules,
      numberInput("budget", "budget (steps)", { min: 1, max: limits.steps, step: "1", "data-field": "budget" }),
      numberInput("starts", "starts", { min: 1, max: limits.starts, step: "1", "data-field": "starts" }),
      numberInput("grid", "tuning grid", { min: 2, max: limits.tune_grid, step: "1", "data-field": "grid" }),
      selectOf("maps-tune", [["lr", "the learning rate"], ["all", "lr and beta / b1 / decay"]], "tune"),
      selectOf("maps-metric", [["steps", "median steps to tol"], ["loss", "median final loss"]], "rank by", { "data-field": "metric" }),
      numberInput("ftol", "tol", { min: 0, "data-field": "tol" }),
      numberInput("seed", "seed", { min: 0, step: "1", "data-field": "seed" }));
  } else {
    form.append(optimizerBox("fo"),
      numberInput("seeds", "seeds", { min: 1, max: limits.seeds, step: "1", "data-field": "seeds" }),
      numberInput("noise", "noise σ", { min: 0, max: limits.noise, "data-field": "noise" }),
      numberInput("decay", "noise decay γ", { min: 0, max: limits.decay, "data-field": "decay" }),
      numberInput("fsteps", "max steps", { min: 1, max: limits.steps, step: "1", "data-field": "steps" }),
      numberInput("fseed", "seed", { min: 0, step: "1", "data-field": "seed" }),
      pairInputs("x0", "Start (blank: the surface's)", ["x", "y"], "start"));
  }
  form.append(el("div", { class: "row" }, el("button", { type: "submit", id: `maps-compute-${kind}`, text: "Compute" })));
  section.append(el("div", { class: "maps-stage" }, form, out));
  return section;
}

function renderAxes() {
  const entry = entryOf(st.rule);
  const names = entry.hyperparameters.map((h) => h.name);
  if (!names.includes(st.x)) st.x = names[0];
  if (st.y !== null && (!names.includes(st.y) || st.y === st.x)) st.y = null;
  const box = $("maps-axes");
  box.replaceChildren(
    selectOf("maps-x", names.map((n) => [n, n]), "x axis", { "data-field": "x" }),
    selectOf("maps-y", [["", names.length > 1 && st.x === names[0] ? `default (${names[1]})` : "none (one row)"], ...names.filter((n) => n !== st.x).map((n) => [n, n])], "y axis", { "data-field": "y" }),
  );
  $("maps-x").value = st.x;
  $("maps-y").value = st.y || "";
  const yRange = root.querySelector("fieldset[data-field=y_range]");
  yRange.hidden = names.length === 1;
  renderFixed();
}

// the rule's hyperparameters off the axes and its options, sent as `fixed` when changed
function renderFixed() {
  const entry = entryOf(st.rule);
  const names = entry.hyperparameters.map((h) => h.name);
  const y = st.y || (st.x === names[0] && names.length > 1 ? names[1] : null);
  for (const axis of [st.x, y]) delete st.fixed[axis];
  const box = $("maps-fixed");
  box.replaceChildren(el("legend", { text: "Other settings of the rule" }));
  const others = entry.hyperparameters.filter((h) => h.name !== st.x && h.name !== y);
  for (const h of others) {
    const value = h.name in st.fixed ? st.fixed[h.name] : h.default;
    box.append(hyperField(`maps-fixed-${h.name}`, h, value, { "data-fixed": h.name, "data-field": `fixed.${h.name}` }));
  }
  for (const o of entry.options) {
    const value = o.name in st.fixed ? st.fixed[o.name] : o.default;
    box.append(optionField(`maps-fixed-${o.name}`, o, value, { "data-fixed-option": o.name, "data-field": `fixed.${o.name}` }));
  }
  box.hidden = others.length + entry.options.length === 0;
}

function syncControls() {
  $("maps-mode-surface").checked = st.mode === "surface";
  $("maps-mode-function").checked = st.mode === "function";
  $("maps-surface").value = st.surface;
  $("maps-fn").value = st.fn;
  $("maps-surface-row").hidden = st.mode !== "surface";
  $("maps-fn-row").hidden = st.mode !== "function";
  for (const input of root.querySelectorAll("input[data-key]")) input.value = String(st[input.dataset.key]);
  for (const input of root.querySelectorAll("input[data-pair]")) {
    const pair = st[input.dataset.pair];
    input.value = pair ? String(pair[Number(input.dataset.index)]) : "";
  }
  renderHyper("o");
  renderHyper("fo");
  $("maps-rule").value = st.rule;
  renderAxes();
  $("maps-show").value = st.show;
  $("maps-tune").value = st.tune;
  $("maps-metric").value = st.metric;
  for (const box of root.querySelectorAll("input[data-rule]")) box.checked = st.rules.includes(box.dataset.rule);
  selectKind(st.map);
}

function selectKind(kind) {
  st.map = kind;
  for (const k of KINDS) {
    $(`maps-${k}`).hidden = k !== kind;
    const tab = $(`maps-tab-${k}`);
    tab.setAttribute("aria-selected", String(k === kind));
    tab.tabIndex = k === kind ? 0 : -1;
  }
  root.dataset.map = kind;
}

// Read one control into the state; false (and the control marked) when its value is bad.
function readControl(target) {
  const mark = (bad, message) => {
    if (bad) target.setAttribute("aria-invalid", "true");
    else target.removeAttribute("aria-invalid");
    if (bad) $(`maps-error-${st.map}`).textContent = message;
    return !bad;
  };
  const d = target.dataset;
  if (d.key) {
    const v = Number(target.value);
    if (target.value.trim() === "" || !Number.isFinite(v)) return mark(true, `${d.key}: enter a number`);
    st[d.key] = v;
    return mark(false);
  }
  if (d.pair) {
    const inputs = [...root.querySelectorAll(`input[data-pair="${d.pair}"]`)];
    const texts = inputs.map((i) => i.value.trim());
    if (texts.every((t) => t === "")) st[d.pair] = null;
    else if (texts.some((t) => t === "" || !Number.isFinite(Number(t)))) return mark(true, `${d.pair}: fill in every value, or none`);
    else st[d.pair] = texts.map(Number);
    return mark(false);
  }
  if (d.hyper) {
    const v = Number(target.value);
    if (target.value.trim() === "" || !Number.isFinite(v)) return mark(true, `${d.hyper}: enter a number`);
    st[d.opt].hyper[d.hyper] = v;
    return mark(false);
  }
  if (d.fixed) {
    const v = Number(target.value);
    if (target.value.trim() === "" || !Number.isFinite(v)) return mark(true, `${d.fixed}: enter a number`);
    const h = entryOf(st.rule).hyperparameters.find((x) => x.name === d.fixed);
    if (v === h.default) delete st.fixed[d.fixed];
    else st.fixed[d.fixed] = v;
    return mark(false);
  }
  if (d.fixedOption) {
    const o = entryOf(st.rule).options.find((x) => x.name === d.fixedOption);
    const value = o.choices.find((c) => optionToken(c) === target.value);
    if (value === o.default) delete st.fixed[d.fixedOption];
    else st.fixed[d.fixedOption] = value;
    return true;
  }
  if (d.option) {
    const o = entryOf(st[d.opt].name).options.find((x) => x.name === d.option);
    st[d.opt].options[d.option] = o.choices.find((c) => optionToken(c) === target.value);
    return true;
  }
  if (d.opt) {
    st[d.opt] = newOpt(target.value);
    renderHyper(d.opt);
    return true;
  }
  if (d.rule) {
    st.rules = [...root.querySelectorAll("input[data-rule]")].filter((b) => b.checked).map((b) => b.dataset.rule);
    return true;
  }
  const id = target.id;
  if (id === "maps-rule") {
    st.rule = target.value;
    st.fixed = {};
    st.xr = null;
    st.yr = null;
    for (const input of root.querySelectorAll("input[data-pair=xr], input[data-pair=yr]")) input.value = "";
    renderAxes();
  } else if (id === "maps-x") {
    st.x = target.value;
    st.xr = null;
    renderAxes();
  } else if (id === "maps-y") {
    st.y = target.value || null;
    renderFixed();
  }
  else if (id === "maps-show") {
    st.show = target.value;
    saveHash();
    draw("stability");
    return false; // a new colouring, not a new computation
  } else if (id === "maps-tune") st.tune = target.value;
  else if (id === "maps-metric") st.metric = target.value;
  return true;
}

// ---- computing ---------------------------------------------------------------------------

function clearFieldMarks(kind) {
  for (const node of $(`maps-form-${kind}`).querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

function markField(kind, field) {
  if (!field) return;
  const form = $(`maps-form-${kind}`);
  const root = field.replace(/\[\d+\].*$/, "");
  for (const node of form.querySelectorAll("[data-field]")) {
    const f = node.dataset.field;
    if (f === field || f === root) {
      const target = node.matches("fieldset") ? node.querySelector("input") || node : node;
      target.setAttribute("aria-invalid", "true");
    }
  }
  if (field === "expression") $("maps-fn").setAttribute("aria-invalid", "true");
}

async function compute(kind = st.map) {
  const payload = body(kind);
  const key = JSON.stringify(payload);
  if (inflight[kind] === key) return; // Enter fires change and submit: one request
  inflight[kind] = key;
  const status = $(`maps-status-${kind}`);
  status.textContent = "computing…";
  let data;
  try {
    data = await channels[kind].send(payload);
  } catch (error) {
    if (inflight[kind] === key) inflight[kind] = null;
    status.textContent = "";
    clearFieldMarks(kind);
    markField(kind, error.detail && error.detail.field);
    $(`maps-error-${kind}`).textContent = describe(error);
    bump(root, "errors");
    return;
  }
  if (inflight[kind] === key) inflight[kind] = null;
  if (data === undefined) return;
  clearFieldMarks(kind);
  $("maps-fn").removeAttribute("aria-invalid");
  $(`maps-error-${kind}`).textContent = "";
  status.textContent = `computed in ${fmt(data.seconds, 2)} s`;
  results[kind] = { key, data };
  $(`maps-py-${kind}`).value = data.python;
  if (kind === "fan") await loadFanGrid(data);
  if (kind === "basins") await loadBasinIso(data);
  draw(kind);
  bump($(`maps-${kind}`), "computed");
  root.dataset.computed = String(++computeCount); // for tests and tools: a map landed
}

function computeIfStale() {
  const r = results[st.map];
  if (!r || r.key !== JSON.stringify(body(st.map))) compute(st.map);
}

// ---- drawing: shared ---------------------------------------------------------------------

function plotSize(canvas, ratio = 1) {
  return fitToParent(canvas, (width) => Math.min(width * ratio, Math.max(260, window.innerHeight * 0.7)), 280);
}

function hexRgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function lighten(rgb, t) {
  return rgb.map((c) => Math.round(c + (255 - c) * t));
}

// a tick's text: 1e-5, not 1.00e-5
function tick(v) {
  return fmt(v, 3).replace(/\.?0+e/, "e");
}

function logTicks(lo, hi) {
  const out = [];
  for (let d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++) {
    for (const m of Math.log10(hi / lo) < 2.5 ? [1, 2, 5] : [1]) {
      const v = m * Math.pow(10, d);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(+v.toPrecision(6));
    }
  }
  return out;
}

function draw(kind) {
  const r = results[kind];
  if (!r || $(`maps-${kind}`).hidden) return;
  ({ basins: drawBasins, stability: drawStability, fair: drawFair, fan: drawFan })[kind](r.data);
}

function pct(share) {
  return share === null || share === undefined ? "—" : `${(100 * share).toFixed(1)}%`;
}

function swatch(colour, pattern = false) {
  const s = el("span", { class: `swatch maps-swatch${pattern ? " maps-hatch" : ""}`, "aria-hidden": "true" });
  s.style.background = pattern ? "" : colour;
  return s;
}

// ---- basins ------------------------------------------------------------------------------

function basinRgb(k) {
  return lighten(hexRgb(BASIN_HEX[k % BASIN_HEX.length]), 0.3);
}

function drawBasins(d) {
  const canvas = $("maps-canvas-basins");
  const { ctx, w, h } = plotSize(canvas, 0.9);
  const r = innerRect(w, h, MARGIN);
  const n = d.xs.length;
  const dx = (d.xs[n - 1] - d.xs[0]) / (n - 1);
  const dy = (d.ys[n - 1] - d.ys[0]) / (n - 1);
  const view = [d.xs[0] - dx / 2, d.xs[n - 1] + dx / 2, d.ys[0] - dy / 2, d.ys[n - 1] + dy / 2];
  // keep the aspect ratio of the view
  const aspect = (view[3] - view[2]) / (view[1] - view[0]);
  if (r.width * aspect < r.height) r.height = r.width * aspect;
  else r.width = r.height / aspect;
  const [tx, ty] = linearScales(view, r);
  blank(ctx, w, h);
  // row i is ys[i]
  const off = cellImage(n, n, (i, j) => {
    const label = d.labels[i * n + j];
    if (label >= 0) return basinRgb(label);
    if (label === -1) return DIVERGED_RGB;
    return (i + j) % 2 ? [205, 205, 205] : [245, 245, 245]; // not converged: a checker
  });
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, r.left, r.top, r.width, r.height);
  clipTo(ctx, r);
  if (basinIso && basinIso.key === JSON.stringify([problem(), [d.xs[0], d.xs[n - 1], d.ys[0], d.ys[n - 1]]])) {
    strokeSegments(ctx, basinIso.lines, tx, ty, "rgba(20, 30, 45, 0.28)");
  }
  const globals = new Set(d.global_minima);
  d.minima.forEach((m, k) => {
    const px = tx(m[0]);
    const py = ty(m[1]);
    star(ctx, px, py, globals.has(k) ? 9 : 7);
    ctx.font = "bold 12px system-ui, sans-serif";
    ctx.fillStyle = "#111";
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    if (d.minima.length <= 30) ctx.fillText(String(k + 1), px + 7, py - 4);
  });
  ctx.restore();
  const xt = ticks(view[0], view[1], Math.max(3, Math.round(r.width / 80)));
  const yt = ticks(view[2], view[3], Math.max(3, Math.round(r.height / 60)));
  axes(ctx, r, h, { xs: xt, ys: yt, tx, ty, xTitle: "x", yTitle: "y", label: tick });
  // the legend: each basin's share, then the runs that diverged or did not converge
  const legend = $("maps-legend-basins");
  const list = el("ul", { class: "maps-keys" });
  // the global minima, then the largest basins; the rest on one line
  const order = d.minima.map((_, k) => k).sort((a, b) => (globals.has(b) - globals.has(a)) || (d.shares[b] - d.shares[a]) || (a - b));
  const shown = order.slice(0, LEGEND_BASINS);
  shown.forEach((k) => {
    const m = d.minima[k];
    const kind = d.kinds[k] === "found" ? "found" : globals.has(k) ? "global" : "local";
    const where = `(${fmt(m[0], 4)}, ${fmt(m[1], 4)})`;
    list.append(el("li", { "data-kind": "basin", "data-share": String(d.shares[k]), "data-index": String(k) },
      swatch(`rgb(${basinRgb(k).join(",")})`), `${k + 1}: ${kind} minimum at ${where}, f = ${fmt(d.minima_loss[k], 4)}: `,
      el("strong", { text: pct(d.shares[k]) }), " of the starts"));
  });
  const rest = order.slice(LEGEND_BASINS);
  if (rest.length) {
    const share = rest.reduce((sum, k) => sum + d.shares[k], 0);
    list.append(el("li", { "data-kind": "rest", "data-share": String(share) }, `${rest.length} other minima (the smaller basins): `, el("strong", { text: pct(share) }), " of the starts together"));
  }
  list.append(el("li", { "data-kind": "diverged", "data-share": String(d.diverged_share) }, swatch(`rgb(${DIVERGED_RGB.join(",")})`), "diverged: ", el("strong", { text: pct(d.diverged_share) })));
  list.append(el("li", { "data-kind": "unconverged", "data-share": String(d.unconverged_share) }, swatch("", true), "not converged (ended near no minimum): ", el("strong", { text: pct(d.unconverged_share) })));
  legend.replaceChildren(
    el("p", { class: "hint", text: `${d.optimizer}, ${n} × ${n} starts, each run up to ${st.n} steps; a run ends at a minimum within ${fmt(d.radius, 3)} of it. ★ minima (larger: global); thin lines: the surface's contours.` }),
    list,
  );
  canvas.setAttribute("aria-label", `Basin map of ${d.optimizer}: ${d.minima.map((m, k) => `basin ${k + 1} ${pct(d.shares[k])}`).join(", ")}, diverged ${pct(d.diverged_share)}, not converged ${pct(d.unconverged_share)}`);
}

// the surface's iso-lines over the basin map's view, from the server's grid
async function loadBasinIso(d) {
  const view = [d.xs[0], d.xs[d.xs.length - 1], d.ys[0], d.ys[d.ys.length - 1]];
  const key = JSON.stringify([problem(), view]);
  if (basinIso && basinIso.key === key) return;
  try {
    const grid = await gridChannel.send({ ...problem(), view, n: 80 });
    if (grid !== undefined) basinIso = { key, lines: isoLines(grid) };
  } catch {
    basinIso = null; // the map is whole without them
  }
}

// ---- stability ---------------------------------------------------------------------------

function heat(t) {
  const s = Math.min(1, Math.max(0, t)) * (HEAT.length - 1);
  const a = Math.min(Math.floor(s), HEAT.length - 2);
  const f = s - a;
  return HEAT[a].map((c, i) => Math.round(c + (HEAT[a + 1][i] - c) * f));
}

function drawStability(data) {
  const d = { ...data, reason: data.reason.map((i) => data.reason_names[i]) }; // words, per run
  const canvas = $("maps-canvas-stability");
  const nx = d.x_values.length;
  const ny = d.y_values.length;
  const oneRow = d.y_name === null;
  const { ctx, w, h } = plotSize(canvas, oneRow ? 0.3 : 0.85);
  const r = innerRect(w, h, MARGIN);
  // a value's position in cells: even in log(value) on a log axis, in value on a linear one
  const position = (values, scale) => {
    const n = values.length;
    const f = scale === "log" ? Math.log : (v) => v;
    const a = f(values[0]);
    const b = f(values[n - 1]);
    return (v) => (n === 1 ? 0.5 : 0.5 + ((f(v) - a) / (b - a)) * (n - 1));
  };
  const xpos = position(d.x_values, d.x_scale);
  const ypos = oneRow ? () => 0.5 : position(d.y_values, d.y_scale);
  const tx = (v) => r.left + (xpos(v) / nx) * r.width;
  const ty = (v) => r.top + (1 - ypos(v) / ny) * r.height;
  // the colour of a cell: log10 of the final loss (above the least), or the steps to tol
  const byLoss = st.show !== "steps";
  const finite = d.final_loss.filter((v) => v !== null);
  const least = finite.length ? Math.min(...finite) : 0;
  const shift = least <= 0 ? -least : 0;
  const floor = 1e-16;
  const value = (k) => {
    if (d.reason[k] === "diverged" || d.final_loss[k] === null) return null;
    if (byLoss) return Math.log10(Math.max(floor, d.final_loss[k] + shift));
    return d.reason[k] === "converged" ? d.steps[k] : undefined; // undefined: not converged
  };
  const vals = d.final_loss.map((_, k) => value(k)).filter((v) => v !== null && v !== undefined);
  const lo = vals.length ? Math.min(...vals) : 0;
  const hi = vals.length ? Math.max(...vals) : 1;
  blank(ctx, w, h);
  const off = cellImage(nx, ny, (i, j) => {
    const v = value(i * nx + j);
    if (v === null) return DIVERGED_RGB;
    if (v === undefined) return UNCONVERGED_RGB;
    return heat(hi > lo ? (v - lo) / (hi - lo) : 0);
  });
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, r.left, r.top, r.width, r.height);
  // the theory's boundary, drawn twice (dark under light) so it reads on any colour
  const b = d.boundary;
  let boundaryShown = false;
  if (b) {
    const points = [];
    if (b.y === null) {
      if (b.x[0] !== null) points.push([tx(b.x[0]), r.top], [tx(b.x[0]), r.top + r.height]);
    } else {
      b.x.forEach((x, k) => {
        if (x !== null && b.y[k] !== null && x > 0) points.push([tx(x), ty(b.y[k])]);
      });
    }
    clipTo(ctx, r);
    for (const [colour, width, dash] of [["#000", 4.5, []], ["#fff", 2, [7, 4]]]) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = width;
      ctx.setLineDash(dash);
      ctx.beginPath();
      points.forEach(([px, py], k) => (k ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
      ctx.stroke();
    }
    ctx.setLineDash([]);
    const inside = points.filter(([px, py]) => px >= r.left && px <= r.left + r.width && py >= r.top && py <= r.top + r.height);
    if (inside.length) {
      boundaryShown = true;
      const [px, py] = inside[Math.floor(inside.length * 0.7)];
      const text = b.label.replace(/^theory \([^)]*\): /, "theory: ");
      ctx.font = "bold 12px system-ui, sans-serif";
      const tw = ctx.measureText(text).width;
      const lx = Math.min(Math.max(px - tw / 2, r.left + 4), r.left + r.width - tw - 8);
      const ly = Math.max(py - 14, r.top + 16);
      ctx.fillStyle = "rgba(255,255,255,0.88)";
      ctx.fillRect(lx - 4, ly - 14, tw + 8, 18);
      ctx.fillStyle = "#111";
      ctx.textBaseline = "bottom";
      ctx.fillText(text, lx, ly + 2);
    }
    ctx.restore();
  }
  const xt = d.x_scale === "log" ? logTicks(d.x_values[0], d.x_values[nx - 1]) : ticks(d.x_values[0], d.x_values[nx - 1], 6);
  const yt = oneRow ? [] : d.y_scale === "log" ? logTicks(d.y_values[0], d.y_values[ny - 1]) : ticks(d.y_values[0], d.y_values[ny - 1], 6);
  axes(ctx, r, h, { xs: xt, ys: yt, tx, ty, xTitle: d.x_name, yTitle: d.y_name || "", label: tick });
  const converged = d.reason.filter((x) => x === "converged").length / d.reason.length;
  const diverged = d.reason.filter((x) => x === "diverged").length / d.reason.length;
  const what = byLoss ? `log10 of the final loss${d.loss_offset !== null && d.loss_offset !== 0 ? " above f*" : d.loss_offset === 0 ? " (f − f*)" : ""}${shift ? ` + ${fmt(shift)}` : ""}` : "steps to tol (converged runs)";
  const bar = el("span", { class: "maps-bar", "aria-hidden": "true" });
  bar.style.background = `linear-gradient(to right, ${HEAT.map((c) => `rgb(${c.join(",")})`).join(", ")})`;
  const items = el("ul", { class: "maps-keys" },
    vals.length
      ? el("li", { "data-kind": "scale" }, `colour: ${what}: `, fmt(lo, 3), " ", bar, " ", fmt(hi, 3))
      : el("li", { "data-kind": "scale" }, byLoss ? "no finite final loss" : `no run reached tol ${fmt(st.stol)} within ${st.sn} steps`),
    el("li", { "data-kind": "diverged", "data-share": String(diverged) }, swatch(`rgb(${DIVERGED_RGB.join(",")})`), "diverged: ", el("strong", { text: pct(diverged) })),
    el("li", { "data-kind": "converged", "data-share": String(converged) }, `converged to tol ${fmt(st.stol)}: `, el("strong", { text: pct(converged) })),
  );
  if (!byLoss) items.append(el("li", { "data-kind": "unconverged" }, swatch(`rgb(${UNCONVERGED_RGB.join(",")})`), "did not reach tol"));
  if (b) {
    items.append(el("li", { "data-kind": "boundary", class: "maps-boundary" }, el("span", { class: "maps-dash", "aria-hidden": "true" }),
      ` ${b.label}${boundaryShown ? "" : " (outside this map)"}`));
  } else {
    items.append(el("li", { "data-kind": "boundary" }, "no theory boundary for this rule and these axes (known for gd, momentum and nesterov with lr on an axis)"));
  }
  $("maps-legend-stability").replaceChildren(
    el("p", { class: "hint", text: `${d.rule}: ${nx}${oneRow ? "" : ` × ${ny}`} runs from one start, each up to ${st.sn} steps; ${d.x_name} on a ${d.x_scale} axis${oneRow ? "" : `, ${d.y_name} on a ${d.y_scale} axis`}.` }),
    items,
  );
  canvas.setAttribute("aria-label", `Stability map of ${d.rule} over ${d.x_name}${oneRow ? "" : ` and ${d.y_name}`}: ${pct(converged)} converged, ${pct(diverged)} diverged${b ? `; ${b.label}` : ""}`);
}

// ---- fair race ---------------------------------------------------------------------------

function drawFair(d) {
  const canvas = $("maps-canvas-fair");
  const rows = d.entries.length;
  const { ctx, w, h } = fitToParent(canvas, () => 60 + rows * 42, 280);
  const r = { left: 96, top: 12, width: w - 96 - 16, height: h - 12 - 40 };
  const byLoss = d.metric === "loss";
  const all = d.entries.flatMap((e) => (byLoss ? e.final_loss : e.steps)).filter((v) => v !== null && v > 0);
  let lo = byLoss ? Math.min(...all, 1) : 0;
  let hi = byLoss ? Math.max(...all, 1e-12) : d.budget + 1;
  if (byLoss) {
    lo = Math.pow(10, Math.floor(Math.log10(lo)));
    hi = Math.pow(10, Math.ceil(Math.log10(hi)));
    if (hi <= lo) hi = lo * 10;
  }
  const tx = byLoss
    ? (v) => r.left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * r.width
    : (v) => r.left + (v / hi) * r.width;
  blank(ctx, w, h);
  const rowH = r.height / rows;
  d.entries.forEach((e, i) => {
    const cy = r.top + (i + 0.5) * rowH;
    const colour = RULE_COLOURS[i % RULE_COLOURS.length];
    ctx.fillStyle = "#222";
    ctx.font = "13px system-ui, sans-serif";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillText(`${e.rank}. ${e.name}`, r.left - 8, cy);
    const values = byLoss ? e.final_loss : e.steps;
    values.forEach((v, k) => {
      const px = v === null ? r.left + r.width : tx(v);
      const jitter = ((k % 5) - 2) * (rowH * 0.1);
      ctx.beginPath();
      ctx.arc(px, cy + jitter, 4.5, 0, 2 * Math.PI);
      ctx.fillStyle = e.converged[k] ? colour : "#fff";
      ctx.fill();
      ctx.lineWidth = 1.6;
      ctx.strokeStyle = colour;
      ctx.stroke();
    });
    const median = byLoss ? e.median_final_loss : e.median_steps;
    if (median !== null) {
      const px = tx(median);
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.moveTo(px, cy - rowH * 0.38);
      ctx.lineTo(px, cy + rowH * 0.38);
      ctx.stroke();
    }
  });
  const xt = byLoss ? logTicks(lo, hi).filter((_, k, a) => a.length < 8 || k % 2 === 0) : ticks(0, hi, 6);
  const xTitle = byLoss ? "final loss above the minimum (log scale)" : "steps to tolerance (budget + 1: not reached)";
  axes(ctx, r, h, { xs: xt, ys: [], tx, ty: () => 0, xTitle, yTitle: "", label: tick });
  // the ranked table, with the metric stated
  const table = el("table", { class: "results maps-fair-table", id: "maps-fair-table" },
    el("caption", { text: `The ranking, best first (by median ${d.metric === "loss" ? "final loss" : "steps to tolerance"})` }),
    el("thead", {}, el("tr", {}, ...["rank", "optimizer", "tuned hyperparameters", "median steps", "median final loss", "converged"].map((t) => el("th", { scope: "col", text: t })))),
  );
  const tbody = el("tbody");
  d.entries.forEach((e, i) => {
    const hyper = Object.entries(e.hyperparameters).map(([k, v]) => {
      const tuned = e.tuned.includes(k);
      const edge = e.at_edge.includes(k) ? " (at the grid's edge)" : "";
      return tuned ? `${k} = ${fmt(v, 4)} (tuned${edge})` : `${k} = ${fmt(v, 4)}`;
    });
    const tr = el("tr", { "data-name": e.name, "data-rank": String(e.rank), "data-median-steps": String(e.median_steps), "data-median-loss": String(e.median_final_loss), "data-lr": String(e.hyperparameters.lr) },
      el("td", { class: "num", text: String(e.rank) }),
      el("td", {}, swatch(RULE_COLOURS[i % RULE_COLOURS.length]), e.name),
      el("td", { class: "maps-hyper-cell", text: hyper.join(", ") }),
      el("td", { class: "num", text: fmt(e.median_steps, 5) }),
      el("td", { class: "num", text: fmt(e.median_final_loss, 4) }),
      el("td", { class: "num", text: pct(e.converged_share) }),
    );
    tbody.append(tr);
  });
  table.append(tbody);
  const span = `evenly spaced in log lr from ${tick(d.lr_span[0])} to ${tick(d.lr_span[1])}`;
  const tuneText = d.tune === "all" ? `learning rate (${d.grid} values, ${span}) and beta, b1 or decay (${d.second_grid} values) were` : `learning rate (${d.grid} values, ${span}) was`;
  $("maps-legend-fair").replaceChildren(
    el("p", { class: "maps-metric", id: "maps-fair-metric" }, el("strong", { text: "Metric: " }), `${d.metric_text}.`),
    el("p", { class: "hint", text: `Each rule had the same budget, ${d.budget} steps (one gradient per step); its ${tuneText} tuned on ${d.tuning_starts.length} tuning starts; the tuned rules then raced from ${d.race_starts.length} other starts (tol ${fmt(d.tol)}). Dots: each race start (hollow: did not converge); bar: the median.` }),
    table,
  );
  canvas.setAttribute("aria-label", `Fair race ranked by ${d.metric}: ${d.entries.map((e) => `${e.rank}. ${e.name}`).join(", ")}`);
}

// ---- seed fan ----------------------------------------------------------------------------

function fanView(d) {
  const s = surfaceEntry();
  if (s) return domainView(s);
  let xlo = d.start[0];
  let xhi = d.start[0];
  let ylo = d.start[1];
  let yhi = d.start[1];
  for (const path of d.paths) {
    for (const p of path) {
      if (p[0] === null || p[1] === null) continue;
      xlo = Math.min(xlo, p[0]);
      xhi = Math.max(xhi, p[0]);
      ylo = Math.min(ylo, p[1]);
      yhi = Math.max(yhi, p[1]);
    }
  }
  const pad = Math.max(xhi - xlo, yhi - ylo, 1) * 0.15;
  const cx = (xlo + xhi) / 2;
  const cy = (ylo + yhi) / 2;
  const half = Math.max(xhi - xlo, yhi - ylo) / 2 + pad;
  return [cx - half, cx + half, cy - half, cy + half].map((v) => +v.toPrecision(6));
}

async function loadFanGrid(d) {
  const view = fanView(d);
  const key = JSON.stringify([problem(), view]);
  if (fanGrid && fanGrid.key === key) return;
  try {
    const grid = await gridChannel.send({ ...problem(), view, n: 100 });
    if (grid !== undefined) fanGrid = { key, grid, view };
  } catch (error) {
    $("maps-error-fan").textContent = `contour grid: ${describe(error)}`;
  }
}

function drawFan(d) {
  if (!fanMap) fanMap = new MapView($("maps-canvas-fan"));
  const view = fanGrid ? fanGrid.view : fanView(d);
  const grid = fanGrid ? fanGrid.grid : null;
  if (fanMap.grid !== grid) fanMap.setGrid(grid); // (setGrid redoes the iso-lines and the bands)
  const colourOf = (k) => (d.at_global === null ? "rgba(0, 114, 178, 0.45)" : d.at_global[k] ? "rgba(0, 114, 178, 0.5)" : "rgba(213, 94, 0, 0.6)");
  fanMap.draw({
    view,
    surface: surfaceEntry(),
    start: d.start,
    runs: d.paths.map((path, k) => ({ colour: colourOf(k), dash: 0, path })),
    arrows: [],
  });
  const { offset, title } = lossOffset(surfaceEntry(), d.losses.flat());
  const shifted = (values) => values.map((v) => (v === null ? null : v - offset));
  const series = d.losses.map((losses) => ({ colour: "rgba(0, 114, 178, 0.25)", dash: 0, steps: d.step, values: shifted(losses) }));
  series.push({ colour: "#111", dash: 1, steps: d.step, values: shifted(d.spread.low) });
  series.push({ colour: "#111", dash: 1, steps: d.step, values: shifted(d.spread.high) });
  series.push({ colour: "#D55E00", dash: 0, steps: d.step, values: shifted(d.spread.median) });
  const last = d.step[d.step.length - 1] || 1;
  drawLossChart($("maps-fan-loss"), series, last, last, title);
  const reached = d.at_global ? d.at_global.filter(Boolean).length : null;
  const share = d.global_share === null
    ? el("p", { class: "maps-share", "data-share": "" }, "This function has no known global minimum, so the share that reached it is not computed.")
    : el("p", { class: "maps-share", "data-share": String(d.global_share) }, el("strong", { text: pct(d.global_share) }), ` of the ${d.seeds} seeds (${reached} of ${d.seeds}) reached the global minimum with noise σ = ${fmt(st.noise)}.`);
  $("maps-legend-fan").replaceChildren(
    share,
    el("ul", { class: "maps-keys" },
      el("li", {}, swatch("rgb(0, 114, 178)"), "a path that ended at the global minimum"),
      el("li", {}, swatch("rgb(213, 94, 0)"), "a path that ended elsewhere"),
      el("li", {}, "loss chart: each seed (faint blue), the median (vermillion) and the 10% and 90% quantiles (dashed)")),
  );
  $("maps-canvas-fan").setAttribute("aria-label", `Seed fan: ${d.seeds} paths from (${fmt(d.start[0])}, ${fmt(d.start[1])}); ${d.global_share === null ? "" : `${pct(d.global_share)} reached the global minimum`}`);
}

// ---- copy as Python ----------------------------------------------------------------------

async function copyPython(kind) {
  const area = $(`maps-py-${kind}`);
  const status = $(`maps-py-status-${kind}`);
  if (!area.value) {
    status.textContent = "Compute first: the code is the call that made the result shown.";
    return;
  }
  area.select();
  await copyText(area, status, "Copied.", "Selected: press Ctrl+C to copy.");
}

// ---- mounting ----------------------------------------------------------------------------

function problemBox() {
  const box = el("section", { class: "panel maps-problem", "aria-labelledby": "maps-problem-h" },
    el("h2", { id: "maps-problem-h", text: "Maps: many runs at once, each map one vmapped program" }),
    el("div", { class: "maps-tabs", role: "tablist", "aria-label": "Maps" },
      ...KINDS.map((k) => el("button", { type: "button", role: "tab", id: `maps-tab-${k}`, "data-map": k, "aria-controls": `maps-${k}`, "aria-selected": "false", text: TITLES[k] }))),
    el("div", { class: "mode", role: "radiogroup", "aria-label": "What to map" },
      el("label", {}, el("input", { type: "radio", name: "maps-mode", value: "surface", id: "maps-mode-surface" }), " Catalogue surface"),
      el("label", {}, el("input", { type: "radio", name: "maps-mode", value: "function", id: "maps-mode-function" }), " Type a function")),
    el("div", { class: "row", id: "maps-surface-row" }, selectOf("maps-surface", catalog.surfaces.map((s) => [s.name, s.name]), "Surface")),
    el("div", { class: "row", id: "maps-fn-row" },
      el("label", { for: "maps-fn" }, "f(x, y) = "),
      el("input", { id: "maps-fn", type: "text", spellcheck: "false", autocomplete: "off", maxlength: "500", class: "maps-fn", "data-field": "expression" })),
  );
  return box;
}

function wire() {
  for (const k of KINDS) {
    const tab = $(`maps-tab-${k}`);
    tab.addEventListener("click", () => {
      selectKind(k);
      saveHash();
      computeIfStale();
      draw(k);
    });
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      const next = KINDS[(KINDS.indexOf(k) + step + KINDS.length) % KINDS.length];
      $(`maps-tab-${next}`).focus();
      $(`maps-tab-${next}`).click();
    });
    $(`maps-form-${k}`).addEventListener("submit", (event) => {
      event.preventDefault();
      saveHash();
      compute(k);
    });
    $(`maps-py-btn-${k}`).addEventListener("click", () => copyPython(k));
  }
  const problemChanged = () => {
    st.o = newOpt(st.o.name);
    st.fo = newOpt(st.fo.name);
    st.b = null;
    st.x0 = null;
    syncControls();
    saveHash();
    compute(st.map);
  };
  $("maps-mode-surface").addEventListener("change", () => {
    st.mode = "surface";
    problemChanged();
  });
  $("maps-mode-function").addEventListener("change", () => {
    st.mode = "function";
    problemChanged();
  });
  $("maps-surface").addEventListener("change", () => {
    st.surface = $("maps-surface").value;
    problemChanged();
  });
  $("maps-fn").addEventListener("change", () => {
    st.fn = $("maps-fn").value;
    saveHash();
    compute(st.map);
  });
  root.addEventListener("change", (event) => {
    const target = event.target;
    if (!target.closest(".maps-form")) return;
    if (!readControl(target)) return;
    $(`maps-error-${st.map}`).textContent = "";
    saveHash();
    compute(st.map);
  });
  window.addEventListener("resize", () => draw(st.map));
}

export async function mount(section, ctx) {
  catalog = ctx.catalog;
  writeHash = ctx.writeHash;
  root = section;
  try {
    limits = (await get("/api/maps/limits")).limits;
  } catch {
    limits = {};
  }
  section.replaceChildren(problemBox(), ...KINDS.map(panel));
  st = decode(ctx.params);
  syncControls();
  wire();
  saveHash();
  compute(st.map);
}

export function restore(params) {
  if (!catalog) return;
  const next = decode(params);
  st = next;
  syncControls();
  computeIfStale();
  draw(st.map);
}

