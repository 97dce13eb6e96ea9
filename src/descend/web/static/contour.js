// Drawing the server's grid: filled log-spaced bands (bilinear z per pixel, banded by the
// server's levels) and iso-lines by marching squares. The numbers are the server's; this
// file only draws them.

// light, calm bands (valleys lightest) so the Okabe-Ito paths stay readable on top
const STOPS = [
  [255, 251, 235],
  [226, 238, 232],
  [196, 220, 230],
  [160, 190, 214],
  [121, 148, 182],
];

export function bandColours(count) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const t = count === 1 ? 0 : i / (count - 1);
    const s = t * (STOPS.length - 1);
    const a = Math.min(Math.floor(s), STOPS.length - 2);
    const f = s - a;
    out.push(STOPS[a].map((c, j) => Math.round(c + (STOPS[a + 1][j] - c) * f)));
  }
  return out;
}

function bandOf(d, levels) {
  let lo = 0;
  let hi = levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (levels[mid] <= d) lo = mid + 1;
    else hi = mid;
  }
  return lo; // how many levels lie at or below d
}

// Paint the bands into an ImageData of width x height pixels covering `view`.
export function paintBands(image, grid, view) {
  const { x, y, z, levels, zmin } = grid;
  const nx = x.length;
  const ny = y.length;
  const colours = bandColours(levels.length + 1);
  const { width, height, data } = image;
  const [xlo, xhi, ylo, yhi] = view;
  const gx0 = x[0];
  const gdx = (x[nx - 1] - x[0]) / (nx - 1);
  const gy0 = y[0];
  const gdy = (y[ny - 1] - y[0]) / (ny - 1);
  for (let py = 0; py < height; py++) {
    const yv = yhi - ((py + 0.5) / height) * (yhi - ylo);
    const fy = (yv - gy0) / gdy;
    for (let px = 0; px < width; px++) {
      const o = (py * width + px) * 4;
      const xv = xlo + ((px + 0.5) / width) * (xhi - xlo);
      const fx = (xv - gx0) / gdx;
      if (fx < 0 || fy < 0 || fx > nx - 1 || fy > ny - 1) {
        data[o + 3] = 0;
        continue;
      }
      const i = Math.min(Math.floor(fy), ny - 2);
      const j = Math.min(Math.floor(fx), nx - 2);
      const a = z[i][j];
      const b = z[i][j + 1];
      const c = z[i + 1][j];
      const d = z[i + 1][j + 1];
      if (a === null || b === null || c === null || d === null) {
        data[o] = 210;
        data[o + 1] = 205;
        data[o + 2] = 200;
        data[o + 3] = 255;
        continue;
      }
      const tx = fx - j;
      const ty = fy - i;
      const v = (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty;
      const colour = colours[bandOf(v - zmin, levels)];
      data[o] = colour[0];
      data[o + 1] = colour[1];
      data[o + 2] = colour[2];
      data[o + 3] = 255;
    }
  }
}

// Marching squares: for each level, a flat list of segments [x1, y1, x2, y2, ...] in data
// coordinates.
export function isoLines(grid) {
  const { x, y, z, levels, zmin } = grid;
  const nx = x.length;
  const ny = y.length;
  const out = [];
  for (const level of levels) {
    const t = zmin + level;
    const seg = [];
    for (let i = 0; i < ny - 1; i++) {
      for (let j = 0; j < nx - 1; j++) {
        const a = z[i][j]; // (x_j, y_i)
        const b = z[i][j + 1]; // (x_j+1, y_i)
        const c = z[i + 1][j + 1]; // (x_j+1, y_i+1)
        const d = z[i + 1][j]; // (x_j, y_i+1)
        if (a === null || b === null || c === null || d === null) continue;
        const code = (a > t ? 1 : 0) | (b > t ? 2 : 0) | (c > t ? 4 : 0) | (d > t ? 8 : 0);
        if (code === 0 || code === 15) continue;
        const x0 = x[j];
        const x1 = x[j + 1];
        const y0 = y[i];
        const y1 = y[i + 1];
        const bottom = () => [x0 + ((t - a) / (b - a)) * (x1 - x0), y0];
        const right = () => [x1, y0 + ((t - b) / (c - b)) * (y1 - y0)];
        const top = () => [x0 + ((t - d) / (c - d)) * (x1 - x0), y1];
        const left = () => [x0, y0 + ((t - a) / (d - a)) * (y1 - y0)];
        const add = (p, q) => seg.push(p[0], p[1], q[0], q[1]);
        switch (code) {
          case 1: case 14: add(left(), bottom()); break;
          case 2: case 13: add(bottom(), right()); break;
          case 3: case 12: add(left(), right()); break;
          case 4: case 11: add(right(), top()); break;
          case 6: case 9: add(bottom(), top()); break;
          case 7: case 8: add(left(), top()); break;
          case 5: case 10: {
            const centre = (a + b + c + d) / 4;
            if ((centre > t) === (code === 5)) {
              add(left(), top());
              add(bottom(), right());
            } else {
              add(left(), bottom());
              add(right(), top());
            }
            break;
          }
        }
      }
    }
    out.push(seg);
  }
  return out;
}

// "Nice" tick values covering [lo, hi], about `count` of them.
export function ticks(lo, hi, count) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) || 10 * p;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : +v.toPrecision(12));
  }
  return out;
}
