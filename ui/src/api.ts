// The one way the UI talks to the server: same origin, the session cookie, Argo CD's error shape.
// Every rule (RBAC, validation, masking of Secrets) is the server's; the UI only shows answers.

/** The server's root path ("/" or "/argosy/"), from <base href> which the server writes. */
export const basePath: string = new URL(document.baseURI).pathname.replace(/\/?$/, "/");

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
  }
}

export function apiUrl(path: string, query?: Record<string, string | number | string[] | undefined>): string {
  const url = new URL(basePath + path.replace(/^\//, ""), window.location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === "") continue;
    for (const one of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(one));
  }
  return url.toString();
}

export async function api<T>(
  method: string,
  path: string,
  options: { query?: Record<string, string | number | string[] | undefined>; body?: unknown } = {},
): Promise<T> {
  const resp = await fetch(apiUrl(path, options.query), {
    method,
    credentials: "same-origin",
    // Every state-changing call declares JSON, body or not: the server refuses cookie-authenticated
    // requests of the content types an HTML form could forge (CSRF, see argosy.server.csrf).
    headers: method === "GET" ? {} : { "Content-Type": "application/json" },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await resp.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = undefined;
  }
  if (!resp.ok) {
    const message =
      (data as { message?: string } | undefined)?.message || text || `${resp.status} ${resp.statusText}`;
    if (resp.status === 401 && !path.startsWith("api/v1/session")) onUnauthenticated(message);
    throw new ApiError(resp.status, message);
  }
  return data as T;
}

let unauthenticatedHandler: (message: string) => void = () => {};
export function setUnauthenticatedHandler(handler: (message: string) => void): void {
  unauthenticatedHandler = handler;
}
function onUnauthenticated(message: string): void {
  unauthenticatedHandler(message);
}

export type StreamState = { connected: boolean; retryIn: number; error: string };

/**
 * A server-sent event stream that reconnects with exponential backoff (1 s .. 30 s) and says so.
 * `resume()` gives the query of the next connection (e.g. the last resourceVersion seen), so a
 * reconnect receives only what it missed.
 */
export function openStream(
  path: string,
  resume: () => Record<string, string | string[] | undefined>,
  onMessage: (data: unknown) => void,
  onState: (state: StreamState) => void,
): () => void {
  let source: EventSource | null = null;
  let closed = false;
  let attempt = 0;
  let timer: number | undefined;

  const connect = () => {
    if (closed) return;
    source = new EventSource(apiUrl(path, resume()), { withCredentials: true });
    source.onopen = () => {
      attempt = 0;
      onState({ connected: true, retryIn: 0, error: "" });
    };
    source.onmessage = (event) => {
      try {
        onMessage(JSON.parse(event.data));
      } catch {
        /* a keep-alive or a torn line: nothing to apply */
      }
    };
    source.onerror = () => {
      source?.close();
      if (closed) return;
      const delay = Math.min(30, 2 ** attempt);
      attempt += 1;
      onState({ connected: false, retryIn: delay, error: "connection to the server lost" });
      timer = window.setTimeout(connect, delay * 1000);
    };
  };
  connect();
  return () => {
    closed = true;
    window.clearTimeout(timer);
    source?.close();
  };
}

/** The server's can-i for one object (forms: permissions.ts); each path segment is escaped, so a
 * repository URL with `?` or `#` stays one object. A can-i that fails answers "no" (the button stays
 * hidden), and unless it is a refusal (401/403) the failure is reported to the page (onCanIFailure),
 * so a broken server or a bad question does not silently hide what the user may do. */
export async function canI(resource: string, action: string, object: string): Promise<boolean> {
  const escaped = object.split("/").map(encodeURIComponent).join("/");
  const question = `${resource}/${action}/${object}`;
  try {
    const answer = await api<{ value: string }>("GET", `api/v1/account/can-i/${resource}/${action}/${escaped}`);
    return answer.value === "yes";
  } catch (err) {
    const status = err instanceof ApiError ? err.status : 0;
    if (status !== 401 && status !== 403) canIFailureHandler(question, (err as Error).message);
    return false;
  }
}

let canIFailureHandler: (question: string, message: string) => void = () => {};
/** Who hears of a can-i the server could not answer (the page shows it; see main.tsx). */
export function onCanIFailure(handler: (question: string, message: string) => void): void {
  canIFailureHandler = handler;
}
