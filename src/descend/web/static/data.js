// The data view: a model trained on a generated data set by the engine's fit (POST
// /api/train), the three flavours side by side (POST /api/flavours) and a seed fan (POST
// /api/data-fan). Every number drawn is the server's; this file keeps the state, asks and
// draws. The hash holds the whole state (views.js adds view=data):
//   #view=data&ds=moons&n=200&noise=0.2&m=mlp&h=8,8&act=tanh&loss=binary_cross_entropy
//     &fl=minibatch&bs=16&o=adam:lr=0.01&ep=60&val=0.2&seed=0&fx=1&fan=1&seeds=16
// Keys equal to their defaults are left out; fx=1 and fan=1 say that the flavours and the
// seed fan were computed, so a reload computes them again.
import { Channel, get } from "./api.js";
import { buildCard } from "./cards.js";
import { ticks } from "./contour.js";
import {
  CHART_MARGIN, axisTitles, beginAxes, blank, cellImage, clipTo, fitChart, fitToParent, fmt, innerRect, linearScales, stepMarker,
} from "./plots.js";
import { decode as decodeRace, encodeOptimizer, newOptimizer } from "./state.js";
import { $, appendOptions, bump, copyText, describe, el } from "./ui.js";

const DEFAULTS = {
  ds: "moons", n: 200, noise: 0.2, dseed: 0, k: 3, deg: 3,
  m: "mlp", h: "8,8", act: "tanh", loss: "binary_cross_entropy",
  fl: "minibatch", bs: 16, ep: 60, val: 0.2, seed: 0, snaps: 30, grid: 40, std: 0,
  seeds: 16, fx: 0, fan: 0,
};
const NUMBERS = ["n", "noise", "dseed", "k", "deg", "bs", "ep", "val", "seed", "snaps", "grid", "std", "seeds", "fx", "fan"];
const DEFAULT_OPT = "adam:lr=0.01";
const CLASS_RGB = [[0, 114, 178], [213, 94, 0], [0, 158, 115], [204, 121, 167], [230, 159, 0]];
const FLAVOUR_COLOURS = { batch: "#0072B2", stochastic: "#D55E00", minibatch: "#009E73" };
const PLAY_MS = 2500; // a replay of the snapshots takes this long

let catalog = null; // the main catalogue (optimizers, schedules)
let dcat = null; // the data catalogue (data sets, losses, limits)
let writeHash = () => {};
let st = null;
let opt = null; // the optimizer being edited (cards.js's form)
const invalid = new Set();
let trained = null; // the last /api/train answer
let frame = 0; // the snapshot shown
let timer = null;
let flav = null;
let fanData = null;
let pySource = "train";
const channels = { train: new Channel("/api/train"), flavours: new Channel("/api/flavours"), fan: new Channel("/api/data-fan") };
let debounce = null;

// ---- state and the hash --------------------------------------------------------------------

function stateOf(params) {
  const s = { ...DEFAULTS, o: DEFAULT_OPT };
  for (const [key, value] of params.entries()) {
    if (!(key in s)) continue;
    if (NUMBERS.includes(key)) {
      const v = Number(value);
      if (value !== "" && Number.isFinite(v)) s[key] = v;
    } else s[key] = value;
  }
  return s;
}

function optimizerOf(text) {
  const decoded = decodeRace(`#o=${encodeURIComponent(text)}`, catalog);
  const found = decoded && decoded.opts[0];
  if (found) return found;
  return newOptimizer(catalog.optimizers.find((e) => e.name === "adam") || catalog.optimizers[0], null);
}

function saveHash() {
  const p = new URLSearchParams();
  for (const [key, value] of Object.entries(st)) {
    if (key === "o") continue;
    if (value !== DEFAULTS[key]) p.set(key, String(value));
  }
  const text = encodeOptimizer(opt, catalog.optimizers.find((e) => e.name === opt.name));
  if (text !== DEFAULT_OPT) p.set("o", text);
  st.o = text;
  writeHash(p);
}

function task() {
  return dcat.datasets[st.ds] || "classification";
}

function lossKind() {
  if (task() === "regression") return "regression";
  if (st.ds === "spiral" || st.ds === "blobs") return st.k === 2 ? "binary" : "multiclass";
  return "binary";
}

function hiddenList() {
  const text = String(st.h).trim();
  if (!text) return [];
  return text.split(",").map((t) => (t.trim() === "" ? NaN : Number(t)));
}

function training() {
  const body = {
    data: { name: st.ds, samples: st.n, noise: st.noise, seed: st.dseed, classes: st.k, degree: st.deg },
    model: { name: st.m, hidden: hiddenList(), activation: st.act },
    loss: st.loss,
    optimizer: {
      name: opt.name, hyper: { ...opt.hyper }, options: { ...opt.options },
      schedule: opt.schedule ? { name: opt.schedule.name, params: { ...opt.schedule.params } } : null,
    },
    batch_size: st.bs, epochs: st.ep, validation: st.val, seed: st.seed, standardize: Boolean(st.std),
  };
  return body;
}

// ---- the controls -----------------------------------------------------------------------------

function field(label, input, hint) {
  return el("label", { class: "dfield" }, el("span", { text: label }), input, hint ? el("small", { class: "muted", text: hint }) : null);
}

function numberInput(key, attrs = {}) {
  const input = el("input", { type: "number", id: `d-${key}`, step: "any", ...attrs });
  input.value = String(st[key]);
  input.addEventListener("input", () => {
    const v = input.value.trim() === "" ? NaN : Number(input.value);
    st[key] = v;
    changed();
  });
  return input;
}

function selectInput(key, pairs) {
  const select = appendOptions(el("select", { id: `d-${key}` }), pairs);
  select.value = String(st[key]);
  select.addEventListener("change", () => {
    st[key] = NUMBERS.includes(key) ? Number(select.value) : select.value;
    if (key === "ds" || key === "k") fitLossAndModel();
    changed();
  });
  return select;
}

// a new data set may need another loss or model: keep the user's when it suits
function fitLossAndModel() {
  const allowed = dcat.losses[lossKind()];
  if (!allowed.includes(st.loss)) st.loss = allowed[0];
  if (task() === "regression" && st.m === "logistic") st.m = "linear";
  if (task() === "classification" && st.m === "linear") st.m = "logistic";
  syncControls();
}

function syncControls() {
  const losses = $("d-loss");
  losses.replaceChildren(...dcat.losses[lossKind()].map((l) => el("option", { value: l, text: l })));
  if (!dcat.losses[lossKind()].includes(st.loss)) losses.append(el("option", { value: st.loss, text: st.loss }));
  losses.value = st.loss; // (rebuilt options: set it even while the select has the focus)
  for (const key of ["ds", "n", "noise", "dseed", "k", "deg", "m", "h", "act", "loss", "fl", "bs", "ep", "val", "seed", "snaps", "grid", "seeds"]) {
    const input = $(`d-${key}`);
    if (input && document.activeElement !== input) input.value = String(st[key]);
  }
  $("d-std").checked = Boolean(st.std);
  $("d-k-row").hidden = !(st.ds === "spiral" || st.ds === "blobs");
  $("d-deg-row").hidden = st.ds !== "polynomial";
  $("d-h-row").hidden = st.m !== "mlp";
  $("d-bs-row").hidden = st.fl !== "minibatch";
  $("d-noise-label").textContent = st.ds === "blobs" ? "cluster spread" : "noise";
}

function drawCard() {
  const box = $("d-card");
  box.replaceChildren(buildCard(opt, 0, {
    catalog,
    colourOf: () => "#0072B2",
    onChange: (kind) => {
      if (kind === "invalid" || kind === "colour") return;
      changed();
    },
    onRemove: () => {},
    invalid,
  }));
  const pick = $("d-opt");
  pick.value = opt.name;
}

function buildControls(section) {
  const dataSets = Object.keys(dcat.datasets).map((d) => [d, d]);
  const lim = dcat.limits;
  const optPick = appendOptions(el("select", { id: "d-opt", "aria-label": "optimizer" }), catalog.optimizers.map((e) => [e.name, e.name]));
  optPick.addEventListener("change", () => {
    opt = newOptimizer(catalog.optimizers.find((e) => e.name === optPick.value), null);
    drawCard();
    changed();
  });
  const hidden = el("input", { type: "text", id: "d-h", spellcheck: "false", "aria-describedby": "d-h-hint" });
  hidden.value = st.h;
  hidden.addEventListener("input", () => {
    st.h = hidden.value;
    changed();
  });
  const std = el("input", { type: "checkbox", id: "d-std" });
  std.addEventListener("change", () => {
    st.std = std.checked ? 1 : 0;
    changed();
  });
  const loss = el("select", { id: "d-loss" });
  loss.addEventListener("change", () => {
    st.loss = loss.value;
    changed();
  });
  section.append(
    el("section", { class: "panel", "aria-labelledby": "d-setup-h" },
      el("h2", { id: "d-setup-h", text: "Learning from data" }),
      el("p", { class: "hint", text: "Train a model with descend's fit on a generated data set. The boundary, the curves and the times are the server's numbers." }),
      el("div", { class: "dgrid" },
        el("fieldset", {}, el("legend", { text: "Data" }),
          field("data set", selectInput("ds", dataSets)),
          field("samples", numberInput("n", { min: lim.samples[0], max: lim.samples[1], step: "1" })),
          el("label", { class: "dfield" }, el("span", { id: "d-noise-label", text: "noise" }), numberInput("noise", { min: 0, max: lim.noise })),
          field("data seed", numberInput("dseed", { min: 0, step: "1" })),
          el("div", { id: "d-k-row" }, field("classes", numberInput("k", { min: 2, max: lim.classes, step: "1" }))),
          el("div", { id: "d-deg-row" }, field("degree", numberInput("deg", { min: 1, max: lim.degree, step: "1" }))),
          field("validation fraction", numberInput("val", { min: 0, max: lim.validation })),
          el("label", { class: "dfield" }, el("span", { text: "standardize" }), std)),
        el("fieldset", {}, el("legend", { text: "Model and loss" }),
          field("model", selectInput("m", dcat.models.map((m) => [m, m]))),
          el("div", { id: "d-h-row" }, field("hidden layers", hidden, `units per layer, e.g. 8,8 (at most ${lim.layers} x ${lim.units})`)),
          field("activation", selectInput("act", dcat.activations.map((a) => [a, a]))),
          field("loss", loss)),
        el("fieldset", {}, el("legend", { text: "Training" }),
          field("flavour", selectInput("fl", [["batch", "batch (all samples)"], ["stochastic", "stochastic (1 sample)"], ["minibatch", "mini-batch"]])),
          el("div", { id: "d-bs-row" }, field("batch size", numberInput("bs", { min: 1, step: "1" }))),
          field("epochs", numberInput("ep", { min: 1, max: lim.epochs, step: "1" })),
          field("seed", numberInput("seed", { min: 0, step: "1" }), "initialisation and shuffling"),
          field("snapshots", numberInput("snaps", { min: 1, max: lim.snapshots, step: "1" })),
          field("grid", numberInput("grid", { min: lim.grid[0], max: lim.grid[1], step: "1" }))),
        el("fieldset", { class: "dopt" }, el("legend", { text: "Optimizer" }),
          field("optimizer", optPick),
          el("div", { id: "d-card", class: "cards" }))),
      el("p", { id: "d-error", class: "error", role: "alert" })),
    el("div", { class: "stage" },
      el("section", { class: "panel", "aria-labelledby": "d-plot-h" },
        el("h2", { id: "d-plot-h" }, "The model ", el("span", { id: "d-busy", class: "busy", "aria-live": "polite" })),
        el("div", { class: "canvas-wrap" }, el("canvas", { id: "d-canvas", role: "img", "aria-label": "The data and the model's decision boundary or regression curve" })),
        el("div", { class: "playback", role: "group", "aria-label": "Replay the snapshots" },
          el("button", { type: "button", id: "d-play", "aria-pressed": "false", text: "▶ Replay" }),
          el("label", { class: "scrub" }, "epoch ", el("input", { type: "range", id: "d-scrub", min: "0", max: "0", value: "0", step: "1" })),
          el("output", { id: "d-epoch", for: "d-scrub", text: "epoch 0" })),
        el("p", { id: "d-legend", class: "hint" })),
      el("section", { class: "panel", "aria-labelledby": "d-loss-h" },
        el("h2", { id: "d-loss-h", text: "Loss per epoch" }),
        el("div", { class: "canvas-wrap" }, el("canvas", { id: "d-loss-chart", role: "img", "aria-label": "Training and validation loss per epoch" })),
        el("p", { class: "hint" }, el("span", { class: "swatch", style: "background:#0072B2" }), "training (mean batch loss of the epoch) ",
          el("span", { class: "swatch", style: "background:#D55E00" }), "validation (after the epoch)"),
        el("p", { id: "d-summary", class: "hint", "aria-live": "polite" }))),
    el("section", { class: "panel", "aria-labelledby": "d-fl-h" },
      el("h2", { id: "d-fl-h", text: "Batch, stochastic and mini-batch" }),
      el("p", { class: "hint", text: "The same data, model, optimizer, seed and epochs, with one step per epoch (batch), one per sample (stochastic) and one per batch of the batch size (mini-batch). Times are measured on the server after compiling." }),
      el("div", { class: "row" }, el("button", { type: "button", id: "d-fl-run", text: "Compare the flavours" }), el("span", { id: "d-fl-busy", class: "busy" })),
      el("p", { id: "d-fl-error", class: "error", role: "alert" }),
      el("div", { class: "dpair", id: "d-fl-charts", hidden: true },
        el("div", { class: "canvas-wrap" }, el("canvas", { id: "d-fl-epochs", role: "img", "aria-label": "Loss of each flavour against epochs" })),
        el("div", { class: "canvas-wrap" }, el("canvas", { id: "d-fl-time", role: "img", "aria-label": "Loss of each flavour against seconds" }))),
      el("table", { id: "d-fl-table", class: "results", hidden: true },
        el("thead", {}, el("tr", {}, ...["flavour", "batch", "steps / epoch", "final loss", "run time", "compile"].map((t) => el("th", { scope: "col", text: t })))),
        el("tbody"))),
    el("section", { class: "panel", "aria-labelledby": "d-fan-h" },
      el("h2", { id: "d-fan-h", text: "Seed fan" }),
      el("p", { class: "hint", text: "The run above under many seeds (each a different start and order of the samples), computed as one vmapped program: every seed's training loss, the median and the 10-90% band." }),
      el("div", { class: "row" },
        field("seeds", numberInput("seeds", { min: lim.seeds[0], max: lim.seeds[1], step: "1" })),
        el("button", { type: "button", id: "d-fan-run", text: "Run the seed fan" }), el("span", { id: "d-fan-busy", class: "busy" })),
      el("p", { id: "d-fan-error", class: "error", role: "alert" }),
      el("div", { class: "canvas-wrap", id: "d-fan-wrap", hidden: true }, el("canvas", { id: "d-fan-chart", role: "img", "aria-label": "Training loss of every seed, the median and the band" })),
      el("p", { id: "d-fan-summary", class: "hint", "aria-live": "polite" })),
    el("section", { class: "panel", "aria-labelledby": "d-py-h" },
      el("h2", { id: "d-py-h", text: "Copy as Python" }),
      el("div", { class: "row" },
        el("select", { id: "d-py-which", "aria-label": "Which computation" },
          el("option", { value: "train", text: "the training run" }),
          el("option", { value: "flavours", text: "the flavours" }),
          el("option", { value: "fan", text: "the seed fan" })),
        el("button", { type: "button", id: "d-py-btn", text: "Copy as Python" }),
        el("span", { id: "d-py-status", class: "hint", role: "status" })),
      el("textarea", { id: "d-py", rows: "14", readonly: true, spellcheck: "false", "aria-label": "Python code that reproduces these numbers" })),
  );
  $("d-play").addEventListener("click", () => (timer ? stop() : play()));
  $("d-scrub").addEventListener("input", () => {
    stop();
    frame = Number($("d-scrub").value);
    drawFrame();
  });
  $("d-fl-run").addEventListener("click", () => {
    st.fx = 1;
    saveHash();
    runFlavours();
  });
  $("d-fan-run").addEventListener("click", () => {
    st.fan = 1;
    saveHash();
    runFan();
  });
  $("d-py-which").addEventListener("change", () => {
    pySource = $("d-py-which").value;
    showPython();
  });
  $("d-py-btn").addEventListener("click", async () => {
    showPython();
    await copyText($("d-py"), $("d-py-status"), "copied", "select and copy the text below");
  });
  window.addEventListener("resize", () => redraw());
}

// ---- computing -------------------------------------------------------------------------------

function changed() {
  saveHash();
  syncControls();
  clearTimeout(debounce);
  debounce = setTimeout(() => runAll(), 350);
}

function runAll() {
  runTrain();
  if (st.fx) runFlavours();
  if (st.fan) runFan();
}

async function runTrain() {
  if (invalid.size) return;
  $("d-busy").textContent = "training…";
  stop();
  let answer;
  try {
    answer = await channels.train.send({ ...training(), flavour: st.fl, snapshots: st.snaps, grid: st.grid });
  } catch (error) {
    $("d-busy").textContent = "";
    $("d-error").textContent = describe(error);
    bump(document.body, "dataError");
    return;
  }
  if (answer === undefined) return;
  $("d-error").textContent = "";
  $("d-busy").textContent = `${fmt(answer.seconds, 3)} s on the server`;
  trained = answer;
  frame = 0;
  const scrub = $("d-scrub");
  scrub.max = String(answer.snapshots.length - 1);
  scrub.value = "0";
  pySource = "train";
  $("d-py-which").value = "train";
  showPython();
  bump(document.body, "trains");
  play();
}

async function runFlavours() {
  if (invalid.size) return;
  $("d-fl-busy").textContent = "computing…";
  let answer;
  try {
    answer = await channels.flavours.send(training());
  } catch (error) {
    $("d-fl-busy").textContent = "";
    $("d-fl-error").textContent = describe(error);
    return;
  }
  if (answer === undefined) return;
  $("d-fl-busy").textContent = "";
  $("d-fl-error").textContent = "";
  flav = answer;
  drawFlavours();
  bump(document.body, "flavours");
}

async function runFan() {
  if (invalid.size) return;
  $("d-fan-busy").textContent = "computing…";
  let answer;
  try {
    answer = await channels.fan.send({ ...training(), flavour: st.fl, seeds: st.seeds });
  } catch (error) {
    $("d-fan-busy").textContent = "";
    $("d-fan-error").textContent = describe(error);
    return;
  }
  if (answer === undefined) return;
  $("d-fan-busy").textContent = `${fmt(answer.seconds, 3)} s on the server`;
  $("d-fan-error").textContent = "";
  fanData = answer;
  drawFan();
  bump(document.body, "fans");
}

function showPython() {
  const source = { train: trained, flavours: flav, fan: fanData }[pySource];
  $("d-py").value = source ? source.python : "# run it first";
}

// ---- replay ------------------------------------------------------------------------------------

function play() {
  stop();
  if (!trained) return;
  const last = trained.snapshots.length - 1;
  if (frame >= last) frame = 0;
  $("d-play").setAttribute("aria-pressed", "true");
  $("d-play").textContent = "❚❚ Pause";
  const every = Math.max(30, PLAY_MS / Math.max(1, last));
  drawFrame();
  timer = setInterval(() => {
    if (frame >= last) {
      stop();
      return;
    }
    frame += 1;
    drawFrame();
  }, every);
}

function stop() {
  if (timer) clearInterval(timer);
  timer = null;
  const button = $("d-play");
  if (button) {
    button.setAttribute("aria-pressed", "false");
    button.textContent = "▶ Replay";
  }
}

function drawFrame() {
  if (!trained) return;
  const snap = trained.snapshots[frame];
  $("d-scrub").value = String(frame);
  $("d-epoch").textContent = `epoch ${snap.epoch} of ${trained.epochs.length}`;
  document.body.dataset.dataEpoch = String(snap.epoch);
  drawModel(snap);
  drawLoss(snap.epoch);
  const i = snap.epoch - 1;
  const metric = trained.task === "regression" ? "R²" : "accuracy";
  $("d-summary").textContent = i < 0
    ? `the start: ${trained.steps_per_epoch} steps per epoch; ${trained.stop}`
    : `epoch ${snap.epoch}: training loss ${fmt(trained.train_loss[i])}, validation loss ${fmt(trained.val_loss[i])}; ` +
      `${metric} ${fmt(trained.train_metric[i], 3)} (training), ${fmt(trained.val_metric[i], 3)} (validation); ${trained.steps_per_epoch} steps per epoch; ${trained.stop}`;
}

function redraw() {
  if (trained) drawFrame();
  if (flav) drawFlavours();
  if (fanData) drawFan();
}

// ---- drawing: the model ----------------------------------------------------------------------

function mix(rgb, t) {
  return rgb.map((c) => Math.round(255 + (c - 255) * t));
}

function drawModel(snap) {
  const canvas = $("d-canvas");
  const { ctx, w, h } = fitToParent(canvas, (width) => Math.min(width, Math.max(260, window.innerHeight * 0.6)));
  const r = innerRect(w, h, CHART_MARGIN);
  blank(ctx, w, h);
  const t = trained;
  const regression = t.task === "regression";
  let view;
  if (regression) {
    const ys = [...t.train.y, ...t.validation.y];
    let lo = Math.min(...ys);
    let hi = Math.max(...ys);
    const pad = Math.max(0.1 * (hi - lo), 0.1);
    lo -= pad;
    hi += pad;
    view = [t.box[0], t.box[1], lo, hi];
  } else view = t.box;
  const [px, py] = linearScales(view, r);
  clipTo(ctx, r);
  if (!regression) {
    const n = t.grid;
    const off = cellImage(n, n, (i, j) => {
      const v = snap.values[i * n + j];
      if (v === null) return [235, 235, 235];
      if (t.task === "binary") return mix(CLASS_RGB[v >= 0.5 ? 1 : 0], 0.08 + 0.5 * Math.abs(v - 0.5) * 2);
      const c = snap.confidence ? snap.confidence[i * n + j] : 1;
      return mix(CLASS_RGB[v % CLASS_RGB.length], 0.08 + 0.5 * Math.max(0, (c - 1 / t.classes) / (1 - 1 / t.classes)));
    });
    ctx.imageSmoothingEnabled = true;
    // cell centres sit on the grid points: stretch by half a cell beyond the box
    const cw = r.width / (n - 1);
    const ch = r.height / (n - 1);
    ctx.drawImage(off, r.left - cw / 2, r.top - ch / 2, r.width + cw, r.height + ch);
  }
  const dot = (x, y, rgb, hollow) => {
    ctx.beginPath();
    ctx.arc(px(x), py(y), 3.6, 0, 2 * Math.PI);
    if (hollow) {
      ctx.fillStyle = "#fff";
      ctx.fill();
      ctx.lineWidth = 1.8;
      ctx.strokeStyle = `rgb(${rgb.join(",")})`;
      ctx.stroke();
    } else {
      ctx.fillStyle = `rgb(${rgb.join(",")})`;
      ctx.fill();
      ctx.lineWidth = 0.8;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    }
  };
  for (const [part, hollow] of [[t.train, false], [t.validation, true]]) {
    part.X.forEach((x, i) => {
      if (regression) dot(x[0], part.y[i], [90, 90, 90], hollow);
      else dot(x[0], x[1], CLASS_RGB[part.y[i] % CLASS_RGB.length], hollow);
    });
  }
  if (regression) {
    ctx.beginPath();
    let pen = false;
    t.curve_x.forEach((x, i) => {
      const y = snap.values[i];
      if (y === null) {
        pen = false;
        return;
      }
      if (pen) ctx.lineTo(px(x), py(y));
      else ctx.moveTo(px(x), py(y));
      pen = true;
    });
    ctx.strokeStyle = "#D55E00";
    ctx.lineWidth = 2.5;
    ctx.stroke();
  }
  ctx.restore();
  axes(ctx, r, view, regression ? "x" : "x₁", regression ? "y" : "x₂", w, h);
  $("d-legend").textContent = regression
    ? "dots: training samples, rings: validation samples; the line: the model's prediction after this epoch"
    : t.task === "binary"
      ? "filled: training samples, rings: validation; the background is the model's probability of class 1 (orange) or 0 (blue), the boundary where they meet"
      : "filled: training samples, rings: validation; the background is the predicted class, paler where the model is less sure";
}

// (lighter than plots.js's axes: no tick marks, grid lines on a log y axis)
function axes(ctx, r, view, xLabel, yLabel, w, h, logY = false) {
  const [tx, ty] = linearScales(view, r); // (on a log y axis, view[2] and view[3] are log10s)
  beginAxes(ctx, r);
  for (const v of ticks(view[0], view[1], Math.max(3, Math.round(r.width / 80)))) {
    ctx.fillText(fmt(v, 3), tx(v), r.top + r.height + 5);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  if (logY) {
    for (const v of logTicks(view[2], view[3])) {
      const y = ty(Math.log10(v));
      ctx.strokeStyle = "#e6e6e6";
      ctx.beginPath();
      ctx.moveTo(r.left, y);
      ctx.lineTo(r.left + r.width, y);
      ctx.stroke();
      ctx.fillText(fmt(v, 2), r.left - 5, y);
    }
  } else {
    for (const v of ticks(view[2], view[3], Math.max(3, Math.round(r.height / 60)))) {
      ctx.fillText(fmt(v), r.left - 5, ty(v));
    }
  }
  axisTitles(ctx, r, h, xLabel, yLabel, "13px system-ui, sans-serif");
  ctx.restore();
}

// the values 10^lo .. 10^hi to mark on a log axis: powers of ten when the range is wide,
// 1, 2 and 5 times them when it is a few decades, every digit when it is under two
function logTicks(lo, hi) {
  const span = hi - lo;
  const every = Math.max(1, Math.ceil(span / 6));
  const digits = span > 4 ? [1] : span > 1.5 ? [1, 2, 5] : [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const out = [];
  for (let d = Math.floor(lo); d <= Math.ceil(hi); d += span > 4 ? every : 1) {
    for (const m of digits) {
      const v = m * Math.pow(10, d);
      const e = Math.log10(v);
      if (e >= lo && e <= hi) out.push(v);
    }
  }
  return out;
}

// ---- drawing: charts (log-scale losses) --------------------------------------------------------

// series: [{colour, x: [...], y: [...], width, alpha, upTo}], bands: [{colour, x, low, high}]
function chart(canvas, { series, bands = [], xLabel, yLabel, marker = null }) {
  const { ctx, w, h } = fitChart(canvas);
  const r = innerRect(w, h, CHART_MARGIN);
  blank(ctx, w, h);
  let lo = Infinity;
  let hi = -Infinity;
  let xmax = 0;
  const look = (x, y) => {
    if (y !== null && y > 0 && Number.isFinite(y)) {
      lo = Math.min(lo, y);
      hi = Math.max(hi, y);
    }
    if (Number.isFinite(x)) xmax = Math.max(xmax, x);
  };
  for (const s of series) s.y.forEach((y, i) => look(s.x[i], y));
  for (const b of bands) b.high.forEach((y, i) => look(b.x[i], y));
  if (!Number.isFinite(lo)) {
    lo = 0.1;
    hi = 1;
  }
  let dlo = Math.log10(lo);
  let dhi = Math.log10(hi);
  const pad = Math.max(0.05, (dhi - dlo) * 0.05);
  dlo -= pad;
  dhi += pad;
  if (dhi - dlo > 16) dlo = dhi - 16;
  const view = [0, xmax || 1, dlo, dhi];
  const X = (x) => r.left + (x / view[1]) * r.width;
  const Y = (y) => r.top + (1 - (Math.log10(Math.max(y, Math.pow(10, dlo))) - dlo) / (dhi - dlo)) * r.height;
  axes(ctx, r, view, xLabel, yLabel, w, h, true);
  clipTo(ctx, r);
  for (const b of bands) {
    ctx.beginPath();
    const pts = b.x.map((x, i) => [x, b.low[i], b.high[i]]).filter((p) => p[1] !== null && p[2] !== null && p[1] > 0);
    pts.forEach((p, i) => (i ? ctx.lineTo(X(p[0]), Y(p[2])) : ctx.moveTo(X(p[0]), Y(p[2]))));
    for (let i = pts.length - 1; i >= 0; i--) ctx.lineTo(X(pts[i][0]), Y(pts[i][1]));
    ctx.closePath();
    ctx.fillStyle = b.colour;
    ctx.globalAlpha = 0.22;
    ctx.fill();
    ctx.globalAlpha = 1;
  }
  for (const s of series) {
    ctx.beginPath();
    let pen = false;
    s.x.forEach((x, i) => {
      const y = s.y[i];
      if (s.upTo !== undefined && x > s.upTo) return;
      if (y === null || !Number.isFinite(y) || !(y > 0)) {
        pen = false;
        return;
      }
      if (pen) ctx.lineTo(X(x), Y(y));
      else ctx.moveTo(X(x), Y(y));
      pen = true;
    });
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = s.width || 2;
    ctx.globalAlpha = s.alpha === undefined ? 1 : s.alpha;
    ctx.setLineDash(s.dash || []);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
  }
  if (marker !== null) stepMarker(ctx, r, X(marker));
  ctx.restore();
}

function drawLoss(upTo) {
  const t = trained;
  const faint = (colour, y) => ({ colour, x: t.epochs, y, width: 1.5, alpha: 0.25 });
  chart($("d-loss-chart"), {
    series: [
      faint("#0072B2", t.train_loss), faint("#D55E00", t.val_loss),
      { colour: "#0072B2", x: t.epochs, y: t.train_loss, upTo },
      { colour: "#D55E00", x: t.epochs, y: t.val_loss, upTo, dash: [6, 3] },
    ],
    xLabel: "epoch",
    yLabel: "loss (log scale)",
    marker: upTo,
  });
}

function drawFlavours() {
  const runs = flav.runs;
  $("d-fl-charts").hidden = false;
  $("d-fl-table").hidden = false;
  const series = (key) => runs.map((run) => ({ colour: FLAVOUR_COLOURS[run.flavour], x: run[key], y: run.train_loss, width: 2.2 }));
  chart($("d-fl-epochs"), { series: series("epochs"), xLabel: "epoch", yLabel: "training loss (log scale)" });
  chart($("d-fl-time"), { series: series("seconds"), xLabel: "seconds (server, after compiling)", yLabel: "training loss (log scale)" });
  const body = $("d-fl-table").querySelector("tbody");
  body.replaceChildren(...runs.map((run) => {
    const last = run.train_loss[run.train_loss.length - 1];
    const row = el("tr", { "data-flavour": run.flavour, "data-steps": String(run.steps_per_epoch) },
      el("td", {}, el("span", { class: "swatch", style: `background:${FLAVOUR_COLOURS[run.flavour]}` }), run.flavour),
      el("td", { class: "num", text: String(run.batch_size) }),
      el("td", { class: "num", text: String(run.steps_per_epoch) }),
      el("td", { class: "num", text: fmt(last) }),
      el("td", { class: "num", text: `${fmt(run.run_seconds * 1000, 3)} ms` }),
      el("td", { class: "num", text: `${fmt(run.compile_seconds, 2)} s` }));
    return row;
  }));
}

function drawFan() {
  const f = fanData;
  $("d-fan-wrap").hidden = false;
  const series = f.train_loss.map((y) => ({ colour: "#56B4E9", x: f.epochs, y, width: 1, alpha: 0.55 }));
  series.push({ colour: "#0072B2", x: f.epochs, y: f.median, width: 2.6 });
  chart($("d-fan-chart"), {
    series,
    bands: [{ colour: "#0072B2", x: f.epochs, low: f.low, high: f.high }],
    xLabel: "epoch",
    yLabel: "training loss (log scale)",
  });
  const last = f.median.length - 1;
  $("d-fan-summary").textContent = `${f.seeds.length} seeds (${f.seeds[0]}..${f.seeds[f.seeds.length - 1]}), ${f.steps_per_epoch} steps per epoch: ` +
    `after epoch ${last + 1} the median training loss is ${fmt(f.median[last])}, the ${Math.round(f.band[0] * 100)}-${Math.round(f.band[1] * 100)}% band ` +
    `${fmt(f.low[last])} to ${fmt(f.high[last])}.`;
}

// ---- the view's entry points -------------------------------------------------------------------

function apply(params) {
  st = stateOf(params);
  opt = optimizerOf(st.o);
  invalid.clear();
}

export async function mount(section, ctx) {
  catalog = ctx.catalog;
  writeHash = ctx.writeHash;
  section.replaceChildren(el("p", { class: "hint", text: "loading…" }));
  try {
    dcat = await get("/api/data-catalog");
  } catch (error) {
    section.replaceChildren(el("p", { class: "error", role: "alert", text: describe(error) }));
    return;
  }
  apply(ctx.params);
  section.replaceChildren();
  buildControls(section);
  syncControls();
  drawCard();
  runAll();
}

export function restore(params) {
  if (!dcat) return;
  const next = stateOf(params);
  const same = Object.keys(next).every((k) => String(next[k]) === String(st[k]));
  if (same) return;
  apply(params);
  syncControls();
  drawCard();
  runAll();
}
