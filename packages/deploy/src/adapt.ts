/** Adaptive scaling: how many workers the scheduler's load asks for (pure), and reading that load. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { clientTlsOptions, type TlsOptions } from '@gluon/protocol/tools';

/** What the scheduler reports, reduced to what adapting needs. */
export interface SchedulerLoad {
  /** Tasks waiting, queued or running. */
  outstanding: number;
  /** Live workers. */
  workers: number;
}

export interface AdaptOptions {
  /** Never fewer workers than this. Default 0. */
  minimum?: number;
  /** Never more workers than this. */
  maximum: number;
  /** How often to look at the load, ms. Default 2000. */
  intervalMs?: number;
  /** Consecutive idle looks before scaling down (avoids cancelling jobs between bursts). Default 3. */
  waitCount?: number;
}

/**
 * The number of workers wanted for `load`: one per `coresPerWorker` outstanding tasks, within
 * [minimum, maximum]. Scaling down happens only after `idleLooks` ≥ `waitCount` looks at a load
 * that wants fewer workers than there are.
 */
export function adaptTarget(load: SchedulerLoad, current: number, coresPerWorker: number, opts: AdaptOptions, idleLooks: number): number {
  const min = opts.minimum ?? 0;
  const wanted = Math.min(opts.maximum, Math.max(min, Math.ceil(load.outstanding / Math.max(1, coresPerWorker))));
  if (wanted >= current) return wanted;
  return idleLooks >= (opts.waitCount ?? 3) ? wanted : current;
}

/** Validates adapt options, naming what is wrong. */
export function checkAdaptOptions(o: AdaptOptions): void {
  const min = o.minimum ?? 0;
  if (!Number.isInteger(min) || min < 0) throw new RangeError(`adapt: minimum must be an integer ≥ 0, got ${o.minimum}`);
  if (!Number.isInteger(o.maximum) || o.maximum < min) throw new RangeError(`adapt: maximum must be an integer ≥ minimum (${min}), got ${o.maximum}`);
  if (o.intervalMs !== undefined && !(o.intervalMs >= 100)) throw new RangeError(`adapt: intervalMs must be ≥ 100, got ${o.intervalMs}`);
}

/**
 * GETs `url` (10 s at most), with the token; over HTTPS trusting `tls.ca` (a cluster's own CA,
 * which fetch cannot be given) and presenting `tls.cert` when given.
 */
function getText(url: URL, token: string | undefined, tls: TlsOptions | undefined): Promise<string> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, ...(url.protocol === 'https:' ? clientTlsOptions(tls) : {}), timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`the scheduler's dashboard answered ${res.statusCode} for ${url.pathname.slice(1)}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`the scheduler's dashboard at ${url.origin} did not answer within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

interface StateJson {
  workers: { alive: boolean; name: string; closing?: boolean; lifetime?: boolean }[];
  groups: { counts: Record<string, number> }[];
}

/**
 * The dashboard's `api/state`, reduced to the load, the live workers' names, those of them leaving
 * (`closing`) and, of those, the ones retiring because their lifetime ended (`retiring`), and the
 * gone workers that left so (`retired`: one with nothing to hand over retires and leaves between
 * two looks, never seen retiring).
 */
export async function fetchLoad(dashboardUrl: string, token?: string, tls?: TlsOptions): Promise<SchedulerLoad & { names: string[]; closing: string[]; retiring: string[]; retired: string[] }> {
  const s = JSON.parse(await getText(new URL('api/state', dashboardUrl), token, tls)) as StateJson;
  const live = s.workers.filter((w) => w.alive);
  const outstanding = s.groups.reduce((n, g) => n + (g.counts.waiting ?? 0) + (g.counts.queued ?? 0) + (g.counts.processing ?? 0), 0);
  return { outstanding, workers: live.length, names: live.map((w) => w.name), closing: live.filter((w) => w.closing === true).map((w) => w.name),
    retiring: live.filter((w) => w.closing === true && w.lifetime === true).map((w) => w.name),
    retired: s.workers.filter((w) => !w.alive && w.lifetime === true).map((w) => w.name) };
}
