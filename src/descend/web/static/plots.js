// The map (bands, iso-lines, axes, markers, paths, update arrows) and the loss chart.
import { isoLines, paintBands, ticks } from "./contour.js";

export const MAP_MARGIN = { left: 46, right: 10, top: 10, bottom: 38 };
const CHART_MARGIN = { left: 54, right: 12, top: 12, bottom: 38 };
const DASHES = [[], [6, 3], [2, 3], [8, 3, 2, 3]];
const MIN_ARROW = 22; // px: an update shorter than this is drawn this long, dashed

export function fitCanvas(canvas, cssWidth, cssHeight) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(cssWidth));
  const h = Math.max(1, Math.round(cssHeight));
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  canvas.style.height = `${h}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, w, h };
}

export function fmt(v, digits = 4) {
  if (v === null || v === undefined) return "—";
  if (typeof v !== "number") return String(v);
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(digits - 1).replace("e+", "e");
  return String(+v.toPrecision(digits));
}

export class MapView {
  constructor(canvas) {
    this.canvas = canvas;
    this.grid = null;
    this.iso = null;
    this.bandCanvas = document.createElement("canvas");
    this.bandKey = "";
    this.w = 0;
    this.h = 0;
  }

  setGrid(grid) {
    this.grid = grid;
    this.iso = grid ? isoLines(grid) : null;
    this.bandKey = "";
  }

  plotRect() {
    const m = MAP_MARGIN;
    return { left: m.left, top: m.top, width: this.w - m.left - m.right, height: this.h - m.top - m.bottom };
  }

  toPixel(view, x, y) {
    const r = this.plotRect();
    return [
      r.left + ((x - view[0]) / (view[1] - view[0])) * r.width,
      r.top + (1 - (y - view[2]) / (view[3] - view[2])) * r.height,
    ];
  }

  toData(view, px, py) {
    const r = this.plotRect();
    return [
      view[0] + ((px - r.left) / r.width) * (view[1] - view[0]),
      view[2] + (1 - (py - r.top) / r.height) * (view[3] - view[2]),
    ];
  }

  insidePlot(px, py) {
    const r = this.plotRect();
    return px >= r.left && px <= r.left + r.width && py >= r.top && py <= r.top + r.height;
  }

  // scene: {view, surface, start, runs: [{colour, dash, path (up to k), end}], arrows: [{from, to, colour}]}
  draw(scene) {
    const box = this.canvas.parentElement.getBoundingClientRect();
    const size = Math.min(box.width, Math.max(280, window.innerHeight * 0.72));
    const { ctx, w, h } = fitCanvas(this.canvas, box.width, size);
    this.w = w;
    this.h = h;
    const view = scene.view;
    const r = this.plotRect();
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, h);
    if (this.grid) {
      const key = `${view.join(",")}|${r.width}x${r.height}`;
      if (key !== this.bandKey) {
        const bw = Math.max(1, Math.round(r.width));
        const bh = Math.max(1, Math.round(r.height));
        this.bandCanvas.width = bw;
        this.bandCanvas.height = bh;
        const bctx = this.bandCanvas.getContext("2d");
        const image = bctx.createImageData(bw, bh);
        paintBands(image, this.grid, view);
        bctx.putImageData(image, 0, 0);
        this.bandKey = key;
      }
      ctx.drawImage(this.bandCanvas, r.left, r.top, r.width, r.height);
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(r.left, r.top, r.width, r.height);
    ctx.clip();
    if (this.iso) {
      ctx.strokeStyle = "rgba(40, 60, 85, 0.33)";
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (const seg of this.iso) {
        for (let i = 0; i < seg.length; i += 4) {
          const [ax, ay] = this.toPixel(view, seg[i], seg[i + 1]);
          const [bx, by] = this.toPixel(view, seg[i + 2], seg[i + 3]);
          ctx.moveTo(ax, ay);
          ctx.lineTo(bx, by);
        }
      }
      ctx.stroke();
    }
    const surface = scene.surface;
    if (surface) {
      for (const m of surface.saddles || []) this.cross(ctx, this.toPixel(view, m[0], m[1]));
      const globals = new Set((surface.global_minima || []).map((m) => m.join(",")));
      for (const m of surface.minima || []) {
        this.star(ctx, this.toPixel(view, m[0], m[1]), globals.size === 0 || globals.has(m.join(",")) ? 8 : 6);
      }
    }
    scene.runs.forEach((run) => this.path(ctx, view, run));
    for (const arrow of scene.arrows) this.arrow(ctx, view, arrow);
    if (scene.start) {
      const [sx, sy] = this.toPixel(view, scene.start[0], scene.start[1]);
      ctx.beginPath();
      ctx.arc(sx, sy, 6, 0, 2 * Math.PI);
      ctx.fillStyle = "#fff";
      ctx.fill();
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = "#111";
      ctx.stroke();
    }
    ctx.restore();
    this.axes(ctx, view, r);
  }

  path(ctx, view, run) {
    if (!run.path.length) return;
    ctx.save();
    ctx.strokeStyle = run.colour;
    ctx.lineWidth = 2.2;
    ctx.lineJoin = "round";
    ctx.setLineDash(DASHES[run.dash % DASHES.length]);
    ctx.beginPath();
    let pen = false;
    for (const p of run.path) {
      if (p[0] === null || p[1] === null) {
        pen = false;
        continue;
      }
      const [px, py] = this.toPixel(view, p[0], p[1]);
      if (pen) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      pen = true;
    }
    ctx.stroke();
    ctx.setLineDash([]);
    const last = [...run.path].reverse().find((p) => p[0] !== null && p[1] !== null);
    if (last) {
      const [px, py] = this.toPixel(view, last[0], last[1]);
      ctx.beginPath();
      ctx.arc(px, py, 4.5, 0, 2 * Math.PI);
      ctx.fillStyle = run.colour;
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    }
    ctx.restore();
  }

  arrow(ctx, view, { from, to, colour }) {
    const [ax, ay] = this.toPixel(view, from[0], from[1]);
    let [bx, by] = this.toPixel(view, to[0], to[1]);
    let len = Math.hypot(bx - ax, by - ay);
    if (!(len > 1e-9) || !Number.isFinite(len)) return;
    const ux = (bx - ax) / len;
    const uy = (by - ay) / len;
    const magnified = len < MIN_ARROW;
    if (magnified) {
      // a tiny update still shows its direction: drawn at a readable length, dashed
      len = MIN_ARROW;
      bx = ax + ux * len;
      by = ay + uy * len;
    }
    const head = Math.min(10, len * 0.5 + 4);
    ctx.save();
    ctx.strokeStyle = "#111";
    ctx.fillStyle = colour;
    ctx.lineWidth = 4;
    ctx.beginPath();
    ctx.moveTo(ax, ay);
    ctx.lineTo(bx - ux * head * 0.6, by - uy * head * 0.6);
    if (magnified) ctx.setLineDash([3, 2]);
    ctx.stroke();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2.2;
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(bx, by);
    ctx.lineTo(bx - ux * head - uy * head * 0.5, by - uy * head + ux * head * 0.5);
    ctx.lineTo(bx - ux * head + uy * head * 0.5, by - uy * head - ux * head * 0.5);
    ctx.closePath();
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#111";
    ctx.fill();
    ctx.stroke();
    ctx.restore();
  }

  star(ctx, [cx, cy], radius) {
    ctx.beginPath();
    for (let i = 0; i < 10; i++) {
      const rr = i % 2 ? radius * 0.45 : radius;
      const a = -Math.PI / 2 + (i * Math.PI) / 5;
      ctx.lineTo(cx + rr * Math.cos(a), cy + rr * Math.sin(a));
    }
    ctx.closePath();
    ctx.fillStyle = "#F0E442";
    ctx.fill();
    ctx.lineWidth = 1.3;
    ctx.strokeStyle = "#111";
    ctx.stroke();
  }

  cross(ctx, [cx, cy]) {
    ctx.save();
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "#111";
    ctx.beginPath();
    ctx.moveTo(cx - 6, cy - 6);
    ctx.lineTo(cx + 6, cy + 6);
    ctx.moveTo(cx + 6, cy - 6);
    ctx.lineTo(cx - 6, cy + 6);
    ctx.stroke();
    ctx.restore();
  }

  axes(ctx, view, r) {
    ctx.save();
    ctx.strokeStyle = "#333";
    ctx.lineWidth = 1;
    ctx.strokeRect(r.left + 0.5, r.top + 0.5, r.width, r.height);
    ctx.fillStyle = "#222";
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of ticks(view[0], view[1], Math.max(3, Math.round(r.width / 80)))) {
      const [px] = this.toPixel(view, t, view[2]);
      ctx.beginPath();
      ctx.moveTo(px, r.top + r.height);
      ctx.lineTo(px, r.top + r.height + 4);
      ctx.stroke();
      ctx.fillText(fmt(t), px, r.top + r.height + 6);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of ticks(view[2], view[3], Math.max(3, Math.round(r.height / 60)))) {
      const [, py] = this.toPixel(view, view[0], t);
      ctx.beginPath();
      ctx.moveTo(r.left - 4, py);
      ctx.lineTo(r.left, py);
      ctx.stroke();
      ctx.fillText(fmt(t), r.left - 6, py);
    }
    ctx.font = "italic 14px Georgia, serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText("x", r.left + r.width / 2, this.h - 2);
    ctx.save();
    ctx.translate(12, r.top + r.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText("y", 0, 0);
    ctx.restore();
    ctx.restore();
  }
}

// series: [{colour, dash, steps: [...], values: [...] (positive or null)}]; k: the scrubbed step
export function drawLossChart(canvas, series, k, maxStep, yTitle) {
  const box = canvas.parentElement.getBoundingClientRect();
  const { ctx, w, h } = fitCanvas(canvas, box.width, Math.max(200, Math.min(300, box.width * 0.62)));
  const m = CHART_MARGIN;
  const r = { left: m.left, top: m.top, width: w - m.left - m.right, height: h - m.top - m.bottom };
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, h);
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const v of s.values) {
      if (v !== null && v > 0 && Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  if (!Number.isFinite(lo)) {
    lo = 1e-3;
    hi = 1;
  }
  let dlo = Math.floor(Math.log10(lo));
  let dhi = Math.ceil(Math.log10(hi));
  if (dhi - dlo > 16) dlo = dhi - 16;
  if (dhi === dlo) dhi = dlo + 1;
  const xmax = Math.max(1, maxStep);
  const px = (s) => r.left + (s / xmax) * r.width;
  const py = (v) => r.top + (1 - (Math.log10(v) - dlo) / (dhi - dlo)) * r.height;
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = "#222";
  ctx.strokeStyle = "#e3e3e3";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  const every = Math.ceil((dhi - dlo) / 6);
  for (let d = dlo; d <= dhi; d += every) {
    const y = py(Math.pow(10, d));
    ctx.beginPath();
    ctx.moveTo(r.left, y);
    ctx.lineTo(r.left + r.width, y);
    ctx.stroke();
    ctx.fillText(`1e${d}`, r.left - 6, y);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of ticks(0, xmax, Math.max(3, Math.round(r.width / 90)))) {
    ctx.fillText(fmt(t), px(t), r.top + r.height + 6);
  }
  ctx.save();
  ctx.beginPath();
  ctx.rect(r.left, r.top - 2, r.width + 2, r.height + 4);
  ctx.clip();
  for (const s of series) {
    for (const faint of [true, false]) {
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < s.steps.length; i++) {
        const step = s.steps[i];
        if (!faint && step > k) break;
        let v = s.values[i];
        if (v === null || !Number.isFinite(v)) {
          pen = false;
          continue;
        }
        v = Math.max(v, Math.pow(10, dlo));
        if (pen) ctx.lineTo(px(step), py(v));
        else ctx.moveTo(px(step), py(v));
        pen = true;
      }
      ctx.strokeStyle = s.colour;
      ctx.globalAlpha = faint ? 0.22 : 1;
      ctx.lineWidth = faint ? 1.5 : 2.2;
      ctx.setLineDash(DASHES[s.dash % DASHES.length]);
      ctx.stroke();
    }
  }
  ctx.globalAlpha = 1;
  ctx.setLineDash([]);
  ctx.restore();
  ctx.strokeStyle = "#111";
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.moveTo(px(Math.min(k, xmax)), r.top);
  ctx.lineTo(px(Math.min(k, xmax)), r.top + r.height);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.strokeStyle = "#333";
  ctx.strokeRect(r.left + 0.5, r.top + 0.5, r.width, r.height);
  ctx.fillStyle = "#222";
  ctx.font = "13px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText("step", r.left + r.width / 2, h - 2);
  ctx.save();
  ctx.translate(12, r.top + r.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(yTitle, 0, 0);
  ctx.restore();
}
