// The console's only way to the daemon: the gateway's own routes, same origin, with the
// HttpOnly session cookie (the page never sees it). Every answer is the daemon's.

export class ApiError extends Error {
  /** @param {number} status @param {{code?: string, message?: string}} body */
  constructor(status, body) {
    super(body.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body.code ?? `HTTP_${status}`;
  }
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

async function answer(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok || body.kind === 'error') throw new ApiError(response.status, body);
  return body;
}

/** GET a route of the request table (parameters in the query). */
export async function get(path, params) {
  return answer(await fetch(`${path}${query(params)}`, { credentials: 'same-origin', headers: { accept: 'application/json' } }));
}

/** POST a route of the request table (parameters as the JSON body). */
export async function post(path, body = {}) {
  return answer(
    await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

/**
 * A server-sent event stream of the gateway (`/audit/stream`, `/intents/:id/events`): each
 * `audit` event's row goes to `onRow`. Returns the function that closes it.
 * @param {string} path
 * @param {Record<string, unknown>} params
 * @param {(row: any) => void} onRow
 * @param {(state: string) => void} [onState]
 */
export function stream(path, params, onRow, onState = () => {}) {
  const source = new EventSource(`${path}${query(params)}`, { withCredentials: false });
  source.addEventListener('audit', (event) => onRow(JSON.parse(/** @type {MessageEvent} */ (event).data)));
  source.addEventListener('open', () => onState('live'));
  source.addEventListener('error', () => onState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
  return () => source.close();
}
