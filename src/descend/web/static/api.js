// The JSON API: one POST/GET helper. Errors come back as ApiError with the server's
// {"error": {"field", "message", "limit", "column"}} body.

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail && detail.message ? detail.message : `HTTP ${status}`);
    this.status = status;
    this.detail = detail || {};
  }
}

async function parse(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const detail = body && body.error ? body.error : { message: `HTTP ${response.status}` };
    throw new ApiError(response.status, detail);
  }
  return body;
}

export async function get(path, signal) {
  return parse(await fetch(path, { signal }));
}

export async function post(path, body, signal) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  return parse(response);
}

// One request at a time per channel: a new call aborts the one still in flight, and a
// stale answer is never delivered (its promise resolves to undefined).
export class Channel {
  constructor(path) {
    this.path = path;
    this.controller = null;
  }

  async send(body) {
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    try {
      const result = await post(this.path, body, controller.signal);
      return controller.signal.aborted ? undefined : result;
    } catch (error) {
      if (controller.signal.aborted || error.name === "AbortError") return undefined;
      throw error;
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }
}
