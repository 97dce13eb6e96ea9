// The optimizer cards: sliders (log or linear), typed values, options, schedule, colour,
// remove, and the formula one click away. A card edits its optimizer in place and calls
// onChange; it never computes anything about the optimizer itself.
import { PALETTE, optionToken } from "./state.js";
import { el } from "./ui.js";

const STEPS = 1000;
let uid = 0;

function bound(value, fallback) {
  if (value === null || value === undefined) return fallback;
  if (typeof value === "string") {
    const n = Number(value.replace("inf", "Infinity"));
    return Number.isNaN(n) ? fallback : n;
  }
  return value;
}

export function allowed(h, v) {
  if (!Number.isFinite(v)) return false;
  const low = bound(h.low, -Infinity);
  const high = bound(h.high, Infinity);
  const above = h.low_closed ? v >= low : v > low;
  const below = h.high_closed ? v <= high : v < high;
  return above && below;
}

function interval(h) {
  const low = bound(h.low, -Infinity);
  const high = bound(h.high, Infinity);
  return `${h.low_closed ? "[" : "("}${low === -Infinity ? "-inf" : low}, ${high === Infinity ? "inf" : high}${h.high_closed ? "]" : ")"}`;
}

function slider(h) {
  const [lo, hi] = h.typical;
  const log = h.scale === "log";
  const zeroable = log && bound(h.low, -1) === 0 && h.low_closed;
  return {
    toValue(pos) {
      if (zeroable && pos === 0) return 0;
      let v;
      if (log) {
        const t = zeroable ? (pos - 1) / (STEPS - 1) : pos / STEPS;
        v = lo * Math.pow(hi / lo, t);
      } else {
        v = lo + ((hi - lo) * pos) / STEPS;
      }
      return +v.toPrecision(3);
    },
    toPos(v) {
      if (zeroable && v <= 0) return 0;
      let t;
      if (log) t = Math.log(v / lo) / Math.log(hi / lo);
      else t = (v - lo) / (hi - lo);
      t = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
      return zeroable ? 1 + Math.round(t * (STEPS - 1)) : Math.round(t * STEPS);
    },
  };
}

// ctx: {catalog, colourOf(i), onChange(kind), onRemove(i), invalid: Set}
export function buildCard(opt, index, ctx) {
  const entry = ctx.catalog.optimizers.find((e) => e.name === opt.name);
  const id = `opt${++uid}`;
  const colour = ctx.colourOf(index);
  const card = el("article", { class: "card", "data-index": String(index), "data-name": opt.name, "aria-labelledby": `${id}-h` });
  card.style.setProperty("--c", colour);
  const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
  swatch.style.background = colour;
  const title = el("h3", { id: `${id}-h` }, swatch, `${opt.name} `, el("span", { class: "muted", text: `#${index + 1}` }));
  const colourSelect = el("select", { "aria-label": `colour of ${opt.name} #${index + 1}`, class: "colour" });
  colourSelect.append(el("option", { value: "", text: "auto colour" }));
  PALETTE.forEach((p, i) => colourSelect.append(el("option", { value: String(i), text: p.name })));
  colourSelect.value = opt.color === null || opt.color === undefined ? "" : String(opt.color);
  colourSelect.addEventListener("change", () => {
    opt.color = colourSelect.value === "" ? null : Number(colourSelect.value);
    ctx.onChange("colour");
  });
  const remove = el("button", { type: "button", class: "remove", text: "remove", "aria-label": `remove ${opt.name} #${index + 1}` });
  remove.addEventListener("click", () => ctx.onRemove(index));
  card.append(el("header", {}, title, colourSelect, remove));
  card.append(el("p", { class: "desc", text: entry.description }));

  for (const h of entry.hyperparameters) {
    const s = slider(h);
    const row = el("div", { class: "hp", "data-hp": h.name });
    const rangeId = `${id}-${h.name}`;
    const range = el("input", { type: "range", min: "0", max: String(STEPS), step: "1", id: rangeId, class: "slider",
      "aria-label": `${opt.name} #${index + 1} ${h.name} (${h.scale} scale)` });
    const box = el("input", { type: "number", step: "any", class: "value", "aria-label": `${opt.name} #${index + 1} ${h.name} value` });
    const err = el("p", { class: "err", role: "alert" });
    const label = el("label", { for: rangeId, text: h.name, title: `${h.help ? h.help + '; ' : ''}${h.scale} scale; allowed ${interval(h)}` });
    range.value = String(s.toPos(opt.hyper[h.name]));
    box.value = String(opt.hyper[h.name]);
    const key = `${id}:${h.name}`;
    range.addEventListener("input", () => {
      const v = s.toValue(Number(range.value));
      opt.hyper[h.name] = v;
      box.value = String(v);
      box.removeAttribute("aria-invalid");
      err.textContent = "";
      ctx.invalid.delete(key);
      ctx.onChange("hyper");
    });
    box.addEventListener("input", () => {
      const v = box.value.trim() === "" ? NaN : Number(box.value);
      if (!allowed(h, v)) {
        box.setAttribute("aria-invalid", "true");
        err.textContent = `${h.name} must be in ${interval(h)}`;
        ctx.invalid.add(key);
        ctx.onChange("invalid");
        return;
      }
      box.removeAttribute("aria-invalid");
      err.textContent = "";
      ctx.invalid.delete(key);
      opt.hyper[h.name] = v;
      range.value = String(s.toPos(v));
      ctx.onChange("hyper");
    });
    row.append(label, range, box, err);
    card.append(row);
  }

  if (entry.options.length) {
    const opts = el("div", { class: "opts" });
    for (const o of entry.options) {
      const select = el("select", { "data-option": o.name });
      for (const choice of o.choices) select.append(el("option", { value: optionToken(choice), text: optionToken(choice) }));
      select.value = optionToken(opt.options[o.name]);
      select.addEventListener("change", () => {
        opt.options[o.name] = o.choices.find((c) => optionToken(c) === select.value);
        ctx.onChange("option");
      });
      opts.append(el("label", {}, `${o.name} `, select));
    }
    card.append(opts);
  }

  if (ctx.catalog.schedules && ctx.catalog.schedules.length) {
    const sched = el("div", { class: "sched" });
    const select = el("select", { "aria-label": `learning-rate schedule of ${opt.name} #${index + 1}` });
    select.append(el("option", { value: "", text: "none" }));
    for (const s of ctx.catalog.schedules) select.append(el("option", { value: s.name, text: s.name }));
    select.value = opt.schedule ? opt.schedule.name : "";
    const params = el("span", { class: "sched-params" });
    const drawParams = () => {
      params.replaceChildren();
      if (!opt.schedule) return;
      for (const [name, value] of Object.entries(opt.schedule.params)) {
        const input = el("input", { type: "number", step: "any", value: String(value), "aria-label": `schedule ${name}` });
        input.addEventListener("input", () => {
          const v = Number(input.value);
          if (input.value.trim() === "" || !Number.isFinite(v)) {
            input.setAttribute("aria-invalid", "true");
            return;
          }
          input.removeAttribute("aria-invalid");
          opt.schedule.params[name] = v;
          ctx.onChange("schedule");
        });
        params.append(el("label", {}, `${name} `, input));
      }
    };
    select.addEventListener("change", () => {
      const s = ctx.catalog.schedules.find((x) => x.name === select.value);
      opt.schedule = s ? { name: s.name, params: Object.fromEntries(s.parameters.map((p) => [p.name, p.default])) } : null;
      drawParams();
      ctx.onChange("schedule");
    });
    drawParams();
    sched.append(el("label", {}, "schedule ", select), params);
    card.append(sched);
  }

  const details = el("details", {}, el("summary", { text: "formula" }), el("pre", { text: entry.formula || entry.description }));
  card.append(details);
  return card;
}
