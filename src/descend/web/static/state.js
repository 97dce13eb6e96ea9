// The page's state and its URL form. The hash is readable and complete:
//   #s=rosenbrock&x0=-1.2,1&o=adam:lr=0.02;gd:lr=0.0015&view=-2,2,-1,3&k=120&n=2000&tol=1e-6
// f=<text> instead of s=<name> selects function mode. Each optimizer is
// name:key=value,... with its non-default options after the numbers and an optional
// schedule after '@' (adam:lr=0.02@cosine:steps=1000), and c=<colour> when its colour
// was chosen by hand.

export const PALETTE = [
  // Okabe-Ito, ordered for contrast on a light map
  { name: "blue", hex: "#0072B2" },
  { name: "vermillion", hex: "#D55E00" },
  { name: "green", hex: "#009E73" },
  { name: "purple", hex: "#CC79A7" },
  { name: "orange", hex: "#E69F00" },
  { name: "skyblue", hex: "#56B4E9" },
  { name: "black", hex: "#000000" },
  { name: "yellow", hex: "#F0E442" },
];

export const DEFAULTS = { steps: 2000, tol: 1e-6, mode: "surface", surface: "rosenbrock" };
export const DEFAULT_VIEW_FUNCTION = [-5, 5, -5, 5];

// a catalogue surface's domain [[x0, x1], [y0, y1]] as a view [x0, x1, y0, y1]
export function domainView(surface) {
  const [[x0, x1], [y0, y1]] = surface.domain;
  return [x0, x1, y0, y1];
}

export function optionToken(value) {
  return value === null || value === undefined ? "none" : String(value);
}

function optionFromToken(token, choices) {
  for (const choice of choices) if (optionToken(choice) === token) return choice;
  return undefined;
}

// "1,2.5": exactly `count` finite numbers, else null
export function numberList(text, count) {
  if (!text) return null;
  const values = text.split(",").map(Number);
  if (values.length !== count || values.some((v) => !Number.isFinite(v))) return null;
  return values;
}

// The hyperparameters a fresh optimizer starts with: the rule's own defaults, overridden on a
// catalogue surface by the server's race defaults there (`surface.defaults`, the same values
// `descend race` and an API request that omits them run with).
export function startingHyper(entry, surface) {
  const hyper = {};
  for (const h of entry.hyperparameters) hyper[h.name] = h.default;
  const own = surface && surface.defaults ? surface.defaults[entry.name] : undefined;
  for (const [k, v] of Object.entries(own || {})) if (k in hyper && Number.isFinite(v)) hyper[k] = v;
  return hyper;
}

// Where a fresh optimizer's defaults come from: the catalogue surface, or for a typed
// function the catalogue's function_defaults (the data view passes no surface: the rules' own).
export function defaultsSource(catalog, surface) {
  return surface || { defaults: catalog.function_defaults };
}

// The learning rate a fresh optimizer starts with on a surface (see startingHyper).
export function startingLr(entry, surface) {
  return startingHyper(entry, surface).lr;
}

export function newOptimizer(entry, surface) {
  const hyper = startingHyper(entry, surface);
  const options = {};
  for (const o of entry.options) options[o.name] = o.default;
  return { name: entry.name, hyper, options, schedule: null, color: null };
}

// the options of `opt` that differ from its entry's defaults: what a request sends
export function changedOptions(opt, entry) {
  const out = {};
  for (const o of entry.options) if (opt.options[o.name] !== o.default) out[o.name] = opt.options[o.name];
  return out;
}

export function encodeOptimizer(opt, entry) {
  const parts = [];
  for (const h of entry.hyperparameters) {
    const value = opt.hyper[h.name];
    if (h.name === "lr" || value !== h.default) parts.push(`${h.name}=${value}`);
  }
  for (const o of entry.options) {
    const value = opt.options[o.name];
    if (value !== o.default) parts.push(`${o.name}=${optionToken(value)}`);
  }
  if (opt.color !== null && opt.color !== undefined) parts.push(`c=${PALETTE[opt.color].name}`);
  let text = opt.name + (parts.length ? ":" + parts.join(",") : "");
  if (opt.schedule) {
    const params = Object.entries(opt.schedule.params).map(([k, v]) => `${k}=${v}`);
    text += "@" + opt.schedule.name + (params.length ? ":" + params.join(",") : "");
  }
  return text;
}

function decodeOptimizer(token, catalog, surface) {
  const [head, scheduleText] = token.split("@");
  const colon = head.indexOf(":");
  const name = colon < 0 ? head : head.slice(0, colon);
  const entry = catalog.optimizers.find((e) => e.name === name);
  if (!entry) return null;
  const opt = newOptimizer(entry, surface);
  const pairs = colon < 0 ? [] : head.slice(colon + 1).split(",").filter(Boolean);
  for (const pair of pairs) {
    const [key, raw] = pair.split("=");
    const h = entry.hyperparameters.find((x) => x.name === key);
    const o = entry.options.find((x) => x.name === key);
    if (h && Number.isFinite(Number(raw)) && raw !== "") opt.hyper[key] = Number(raw);
    else if (o) {
      const value = optionFromToken(raw, o.choices);
      if (value !== undefined) opt.options[key] = value;
    } else if (key === "c") {
      const index = PALETTE.findIndex((p) => p.name === raw);
      if (index >= 0) opt.color = index;
    }
  }
  if (scheduleText) {
    const sc = scheduleText.indexOf(":");
    const sname = sc < 0 ? scheduleText : scheduleText.slice(0, sc);
    const sentry = catalog.schedules.find((s) => s.name === sname);
    if (sentry) {
      const params = {};
      for (const p of sentry.parameters) params[p.name] = p.default;
      const spairs = sc < 0 ? [] : scheduleText.slice(sc + 1).split(",").filter(Boolean);
      for (const pair of spairs) {
        const [key, raw] = pair.split("=");
        if (key in params && Number.isFinite(Number(raw))) params[key] = Number(raw);
      }
      opt.schedule = { name: sname, params };
    }
  }
  return opt;
}

export function encode(state, catalog) {
  const parts = [];
  if (state.mode === "function") parts.push(`f=${encodeURIComponent(state.fn)}`);
  else parts.push(`s=${encodeURIComponent(state.surface)}`);
  parts.push(`x0=${state.x0.join(",")}`);
  const entries = state.opts.map((o) => encodeOptimizer(o, catalog.optimizers.find((e) => e.name === o.name)));
  parts.push(`o=${entries.map((t) => encodeURIComponent(t).replace(/%3A/g, ":").replace(/%2C/g, ",").replace(/%3D/g, "=").replace(/%40/g, "@")).join(";")}`);
  if (state.view) parts.push(`view=${state.view.map((v) => +v.toPrecision(6)).join(",")}`);
  if (state.k !== null && state.k !== undefined) parts.push(`k=${state.k}`);
  parts.push(`n=${state.steps}`);
  parts.push(`tol=${state.tol}`);
  return "#" + parts.join("&");
}

// The state a hash describes, over the defaults; null if the hash names nothing.
export function decode(hash, catalog) {
  const text = hash.replace(/^#/, "");
  if (!text) return null;
  const fields = {};
  for (const part of text.split("&")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1);
  }
  const state = blank();
  if (fields.f !== undefined) {
    state.mode = "function";
    state.fn = decodeURIComponent(fields.f);
  } else if (fields.s !== undefined) {
    const name = decodeURIComponent(fields.s);
    if (catalog.surfaces.some((s) => s.name === name)) state.surface = name;
  }
  const surface = state.mode === "surface" ? catalog.surfaces.find((s) => s.name === state.surface) : null;
  state.x0 = numberList(fields.x0, 2) || (surface ? surface.start.slice() : [2, 3]);
  if (fields.o !== undefined) {
    state.opts = fields.o
      .split(";")
      .filter(Boolean)
      .map((t) => decodeOptimizer(decodeURIComponent(t), catalog, defaultsSource(catalog, surface)))
      .filter(Boolean)
      .slice(0, catalog.limits.optimizers);
  }
  state.view = numberList(fields.view, 4);
  if (state.view && !(state.view[0] < state.view[1] && state.view[2] < state.view[3])) state.view = null;
  const k = Number(fields.k);
  state.k = fields.k !== undefined && Number.isInteger(k) && k >= 0 ? k : null;
  const n = Number(fields.n);
  if (Number.isInteger(n) && n >= 1 && n <= catalog.limits.steps) state.steps = n;
  const tol = Number(fields.tol);
  if (fields.tol !== undefined && Number.isFinite(tol) && tol >= 0) state.tol = tol;
  return state;
}

export function blank() {
  return {
    mode: DEFAULTS.mode,
    surface: DEFAULTS.surface,
    fn: "(x-1)^2 + (y+2)^2",
    x0: [0, 0],
    opts: [],
    view: null,
    k: null,
    steps: DEFAULTS.steps,
    tol: DEFAULTS.tol,
  };
}
