// Small DOM helpers. Text always goes in as text nodes, never parsed as markup: audit rows and
// agent names are data, not markup.

/**
 * h('button', {type: 'button', onclick: fn, 'aria-label': 'x'}, 'text', node, ...)
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key === 'className') el.className = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return el;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  for (const child of children) if (child) el.append(child);
}

/**
 * A captioned table in a horizontally scrolling wrapper (narrow windows).
 * @param {string} caption
 * @param {Array<{label: string, cell: (row: any) => Node | string | number | null, num?: boolean}>} columns
 * @param {any[]} rows
 * @param {string} [empty]
 */
export function table(caption, columns, rows, empty = 'none') {
  const head = h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c.label)));
  const body = rows.length === 0
    ? [h('tr', {}, h('td', { colspan: columns.length, className: 'muted' }, empty))]
    : rows.map((row) => h('tr', {}, ...columns.map((c) => h('td', c.num ? { className: 'num' } : {}, c.cell(row) ?? ''))));
  return h('div', { className: 'table-wrap' }, h('table', {}, h('caption', {}, caption), h('thead', {}, head), h('tbody', {}, ...body)));
}

/** The exact CLI line a button runs, shown beside it. */
export function cli(line) {
  return h('code', { className: 'cli', title: 'the same request from the CLI' }, `$ ${line}`);
}

/** A word for the shell: bare when safe, else single-quoted. */
export function shellWord(text) {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export function when(ms) {
  return typeof ms === 'number' ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '—';
}

export function duration(ms) {
  if (typeof ms !== 'number') return '—';
  if (ms < 0) return 'never';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const hrs = Math.floor(m / 60);
  return hrs < 48 ? `${hrs}h ${m % 60}m` : `${Math.floor(hrs / 24)}d ${hrs % 24}h`;
}

/** A short form of a long id or key, the whole value in its title. */
export function short(text, n = 8) {
  const value = String(text ?? '');
  return h('span', { className: 'mono', title: value }, value.length > n ? `${value.slice(0, n)}…` : value);
}

/** An error paragraph, read out by screen readers. */
export function errorLine(error) {
  return h('p', { className: 'error', role: 'alert' }, describe(error));
}

export function describe(error) {
  if (error && typeof error === 'object' && 'code' in error) return `${error.code}: ${error.message}`;
  return String(error && error.message ? error.message : error);
}
