import { hostname } from 'node:os';

/**
 * The dashboard's public link (`--dashboard-link`): where people open the dashboard when a
 * reverse proxy, JupyterHub's proxy or a gateway stands in front of it, as Dask's
 * `distributed.dashboard.link`. The template uses Dask's syntax, one kind of field in braces:
 *
 * - `{host}`: the host the dashboard listens on (this machine's name when it listens on every
 *   interface, `0.0.0.0` or `::`: nobody can open those);
 * - `{port}`: the dashboard's port (the one it got, with `--dashboard-port 0`);
 * - `{prefix}`: `--dashboard-prefix` as served (`/gluon`, or empty);
 * - `{NAME}`, any other name: the scheduler's environment variable NAME, which must be set
 *   (`{JUPYTERHUB_SERVICE_PREFIX}`);
 * - `{{` and `}}`: a literal brace.
 *
 * The three fields are lower case and win over environment variables of the same name. Expanded,
 * the link must be an absolute http(s) URL: Dask also takes a bare path (a notebook resolves it
 * against the hub), but a script prints `client.dashboardUrl` for a terminal, where a path opens
 * nothing; put the hub's origin in front.
 */

/** What a link's `{host}`, `{port}` and `{prefix}` stand for. */
export interface LinkFields {
  host: string;
  port: number;
  prefix: string;
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OWN = new Set(['host', 'port', 'prefix']);

/** Where a template's text and fields are, in order; throws naming what is malformed. */
function parts(template: string, what: string): Array<{ text: string } | { field: string }> {
  const out: Array<{ text: string } | { field: string }> = [];
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '{' && template[i + 1] === '{') { text += '{'; i++; continue; }
    if (c === '}' && template[i + 1] === '}') { text += '}'; i++; continue; }
    if (c === '}') throw new Error(`${what}: a "}" at character ${i + 1} closes no field (write "}}" for a literal brace) in ${JSON.stringify(template)}`);
    if (c !== '{') { text += c; continue; }
    const end = template.indexOf('}', i + 1);
    if (end < 0) throw new Error(`${what}: the "{" at character ${i + 1} is never closed (write "{{" for a literal brace) in ${JSON.stringify(template)}`);
    const name = template.slice(i + 1, end);
    if (!FIELD.test(name)) {
      throw new Error(`${what}: ${name ? `"{${name}}" is not a field name` : '"{}" names no field'} (fields: {host}, {port}, {prefix}, or an environment variable such as {JUPYTERHUB_SERVICE_PREFIX}) in ${JSON.stringify(template)}`);
    }
    if (text) out.push({ text });
    text = '';
    out.push({ field: name });
    i = end;
  }
  if (text) out.push({ text });
  return out;
}

/**
 * The link `template` names, with `fields` and the environment `env` filled in. Throws, naming
 * the option (`what`) and the template, for a malformed template, a field that is neither one of
 * the three nor a set environment variable, or a result that is not an absolute http(s) URL.
 */
export function expandDashboardLink(template: string, fields: LinkFields, env: NodeJS.ProcessEnv = process.env, what = '--dashboard-link'): string {
  if (template.trim() === '') throw new Error(`${what} is empty: give the dashboard's public URL, e.g. https://gluon.example.org/{host}/ (or leave the option out)`);
  const own: Record<string, string> = { host: linkHost(fields.host), port: String(fields.port), prefix: fields.prefix };
  let link = '';
  for (const p of parts(template, what)) {
    if ('text' in p) { link += p.text; continue; }
    if (OWN.has(p.field)) { link += own[p.field]; continue; }
    const v = env[p.field];
    if (v === undefined) {
      const near = OWN.has(p.field.toLowerCase()) ? ` (did you mean {${p.field.toLowerCase()}}? the fields are lower case)` : '';
      throw new Error(`${what}: unknown field {${p.field}}${near}: it is not {host}, {port} or {prefix}, and no environment variable ${p.field} is set in the scheduler's environment; in ${JSON.stringify(template)}`);
    }
    link += v;
  }
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new Error(`${what}: ${JSON.stringify(template)} gives ${JSON.stringify(link)}, which is not an absolute URL: give the scheme and host, e.g. https://hub.example.org{JUPYTERHUB_SERVICE_PREFIX}proxy/{port}/`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${what}: ${JSON.stringify(template)} gives ${JSON.stringify(link)}, whose scheme is ${url.protocol.slice(0, -1)}: a browser opens the dashboard over http or https`);
  return link;
}

/**
 * Checks `template` before anything listens (the CLI's parse, startScheduler): the same errors
 * as {@link expandDashboardLink}, with a stand-in port (the real one is known after binding).
 */
export function checkDashboardLink(template: string, host: string, prefix: string, env: NodeJS.ProcessEnv = process.env, what = '--dashboard-link'): void {
  expandDashboardLink(template, { host, port: 8787, prefix }, env, what);
}

/** `{host}`: a wildcard is this machine's name; an IPv6 address is bracketed, as in a URL. */
function linkHost(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === '0.0.0.0' || bare === '::') return hostname();
  return bare.includes(':') ? `[${bare}]` : bare;
}
