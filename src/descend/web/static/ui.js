// DOM helpers shared by the views: elements, <option> lists, the text of an API error,
// counters for tests and tools, and "Copy as Python".
import { ApiError } from "./api.js";

export const $ = (id) => document.getElementById(id);

// el("label", {for: id, class: "x", text: "..."}, child, ...): attributes are set as attributes
// (true: present and empty; undefined, null and false: left out); children null or undefined
// are skipped.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

/** Append one <option> to `select` for each [value, text] pair. */
export function appendOptions(select, pairs) {
  for (const [value, text] of pairs) select.append(el("option", { value, text }));
  return select;
}

// the server's error as one line: "field: message (limit N)"
export function describe(error) {
  if (error instanceof ApiError) {
    const d = error.detail;
    const limit = d.limit !== undefined && d.limit !== null ? ` (limit ${d.limit})` : "";
    return `${d.field ? d.field + ": " : ""}${d.message}${limit}`;
  }
  return `could not reach the server (${error.message})`;
}

// node.dataset[name] += 1: for tests and tools, a thing landed
export function bump(node, name) {
  node.dataset[name] = String(Number(node.dataset[name] || 0) + 1);
}

// copy a textarea's text; where the clipboard is refused, select it for Ctrl+C
export async function copyText(area, status, copied, fallback) {
  try {
    await navigator.clipboard.writeText(area.value);
    status.textContent = copied;
  } catch {
    area.focus();
    area.select();
    status.textContent = fallback;
  }
}
