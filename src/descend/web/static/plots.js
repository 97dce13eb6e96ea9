// The map (bands, iso-lines, axes, markers, paths, update arrows) and the loss chart, and
// the drawing pieces the other views share (canvas sizing, frames, axes, stars, cell images).
import { isoLines, paintBands, ticks } from "./contour.js";

export const MAP_MARGIN = { left: 46, right: 10, top: 10, bottom: 38 };
export const CHART_MARGIN = { left: 54, right: 12, top: 12, bottom: 38 };
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

// fit a canvas to its parent's width (at least minWidth), heightOf(width) tall
export function fitToParent(canvas, heightOf, minWidth = 0) {
  const box = canvas.parentElement.getBoundingClientRect();
  const width = Math.max(minWidth, box.width);
  return fitCanvas(canvas, width, heightOf(width));
}

// a chart's canvas: the parent's width, 62% as tall, between 200 and 300 px
export function fitChart(canvas) {
  return fitToParent(canvas, (width) => Math.max(200, Math.min(300, width * 0.62)));
}

// the plot's rectangle inside a w x h canvas with margin m
export function innerRect(w, h, m) {
  return { left: m.left, top: m.top, width: w - m.left - m.right, height: h - m.top - m.bottom };
}

// view [x0, x1, y0, y1] onto the rectangle r: [tx(x), ty(y)], pixels (y up)
export function linearScales(view, r) {
  return [
    (x) => r.left + ((x - view[0]) / (view[1] - view[0])) * r.width,
    (y) => r.top + (1 - (y - view[2]) / (view[3] - view[2])) * r.height,
  ];
}

export function blank(ctx, w, h) {
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, h);
}

// ctx.save(), then clip to r (the caller restores)
export function clipTo(ctx, r) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(r.left, r.top, r.width, r.height);
  ctx.clip();
}

export function frame(ctx, r) {
  ctx.strokeStyle = "#333";
  ctx.lineWidth = 1;
  ctx.strokeRect(r.left + 0.5, r.top + 0.5, r.width, r.height);
}

// the axes' titles: x below the plot, y turned along its left edge (in the fill style set)
export function axisTitles(ctx, r, h, xTitle, yTitle, font) {
  ctx.font = font;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(xTitle, r.left + r.width / 2, h - 2);
  if (!yTitle) return;
  ctx.save();
  ctx.translate(12, r.top + r.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(yTitle, 0, 0);
  ctx.restore();
}

// ctx.save(), the plot's frame, and the x tick labels' style (the caller restores)
export function beginAxes(ctx, r) {
  ctx.save();
  frame(ctx, r);
  ctx.fillStyle = "#222";
  ctx.font = "12px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
}

// framed axes with tick marks: xs, ys the ticks, tx(v)/ty(v) their pixels, label(v) their
// text; ticks more than a pixel outside the plot are left out
export function axes(ctx, r, h, { xs, ys, tx, ty, xTitle, yTitle, label = fmt }) {
  beginAxes(ctx, r);
  for (const t of xs) {
    const px = tx(t);
    if (px < r.left - 1 || px > r.left + r.width + 1) continue;
    ctx.beginPath();
    ctx.moveTo(px, r.top + r.height);
    ctx.lineTo(px, r.top + r.height + 4);
    ctx.stroke();
    ctx.fillText(label(t), px, r.top + r.height + 6);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of ys) {
    const py = ty(t);
    if (py < r.top - 1 || py > r.top + r.height + 1) continue;
    ctx.beginPath();
    ctx.moveTo(r.left - 4, py);
    ctx.lineTo(r.left, py);
    ctx.stroke();
    ctx.fillText(label(t), r.left - 6, py);
  }
  axisTitles(ctx, r, h, xTitle, yTitle, "italic 14px Georgia, serif");
  ctx.restore();
}

// iso-lines (contour.js's isoLines: flat [x0, y0, x1, y1, ...] segments) in one stroke
export function strokeSegments(ctx, lines, tx, ty, colour) {
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const seg of lines) {
    for (let i = 0; i < seg.length; i += 4) {
      ctx.moveTo(tx(seg[i]), ty(seg[i + 1]));
      ctx.lineTo(tx(seg[i + 2]), ty(seg[i + 3]));
    }
  }
  ctx.stroke();
}

// a dashed vertical line across the plot at pixel x: the step (or epoch) shown
export function stepMarker(ctx, r, x) {
  ctx.strokeStyle = "#111";
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.moveTo(x, r.top);
  ctx.lineTo(x, r.top + r.height);
  ctx.stroke();
  ctx.setLineDash([]);
}

// a minimum's marker: a yellow five-pointed star
export function star(ctx, cx, cy, radius) {
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

// an nx x ny canvas of cells, rgbOf(i, j) the colour of row i (bottom up), column j
export function cellImage(nx, ny, rgbOf) {
  const off = document.createElement("canvas");
  off.width = nx;
  off.height = ny;
  const octx = off.getContext("2d");
  const image = octx.createImageData(nx, ny);
  for (let i = 0; i < ny; i++) {
    for (let j = 0; j < nx; j++) {
      const rgb = rgbOf(i, j);
      const at = ((ny - 1 - i) * nx + j) * 4; // row 0 of the image is the top (the largest y)
      image.data[at] = rgb[0];
      image.data[at + 1] = rgb[1];
      image.data[at + 2] = rgb[2];
      image.data[at + 3] = 255;
    }
  }
  octx.putImageData(image, 0, 0);
  return off;
}

// what a loss chart subtracts: f* where the surface knows it, else the least value seen when
// it is not positive (the chart is log scale), else nothing; and the y title that says so
export function lossOffset(surface, values) {
  const finite = values.filter((v) => v !== null && Number.isFinite(v));
  if (surface && surface.min_value !== null && surface.min_value !== undefined) {
    return { offset: surface.min_value, title: "f − f* (log scale)" };
  }
  if (finite.length && Math.min(...finite) <= 0) return { offset: Math.min(...finite), title: "f − min f seen (log scale)" };
  return { offset: 0, title: "f (log scale)" };
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
    return innerRect(this.w, this.h, MAP_MARGIN);
  }

  toPixel(view, x, y) {
    const [tx, ty] = linearScales(view, this.plotRect());
    return [tx(x), ty(y)];
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
    const { ctx, w, h } = fitToParent(this.canvas, (width) => Math.min(width, Math.max(280, window.innerHeight * 0.72)));
    this.w = w;
    this.h = h;
    const view = scene.view;
    const r = this.plotRect();
    blank(ctx, w, h);
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
    clipTo(ctx, r);
    if (this.iso) strokeSegments(ctx, this.iso, ...linearScales(view, r), "rgba(40, 60, 85, 0.33)");
    const surface = scene.surface;
    if (surface) {
      for (const m of surface.saddles || []) this.cross(ctx, this.toPixel(view, m[0], m[1]));
      const globals = new Set((surface.global_minima || []).map((m) => m.join(",")));
      for (const m of surface.minima || []) {
        const [px, py] = this.toPixel(view, m[0], m[1]);
        star(ctx, px, py, globals.size === 0 || globals.has(m.join(",")) ? 8 : 6);
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
    const [tx, ty] = linearScales(view, r);
    axes(ctx, r, this.h, {
      xs: ticks(view[0], view[1], Math.max(3, Math.round(r.width / 80))),
      ys: ticks(view[2], view[3], Math.max(3, Math.round(r.height / 60))),
      tx,
      ty,
      xTitle: "x",
      yTitle: "y",
    });
  }
}

// series: [{colour, dash, steps: [...], values: [...] (positive or null)}]; k: the scrubbed step
export function drawLossChart(canvas, series, k, maxStep, yTitle) {
  const { ctx, w, h } = fitChart(canvas);
  const r = innerRect(w, h, CHART_MARGIN);
  blank(ctx, w, h);
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
  clipTo(ctx, { left: r.left, top: r.top - 2, width: r.width + 2, height: r.height + 4 });
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
  stepMarker(ctx, r, px(Math.min(k, xmax)));
  frame(ctx, r);
  ctx.fillStyle = "#222";
  axisTitles(ctx, r, h, "step", yTitle, "13px system-ui, sans-serif");
}
