/**
 * Simulated workers (bench/sim-workers.ts) in a child process of their own, so that the process a
 * benchmark measures (a client) carries none of their memory or CPU. Run as a script, it connects
 * `--workers` simulated workers of `--threads` each to the scheduler at `--scheduler` and prints
 * `{"ready":true}` once all are registered; {@link startFleetProcess} starts it and waits for that.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SimFleet } from './sim-workers.js';

const self = fileURLToPath(import.meta.url);

/** Starts the fleet's process against `scheduler`; resolves once every worker is registered. */
export async function startFleetProcess(scheduler: string, workers = 10, threads = 2): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', self, `--scheduler=${scheduler}`, `--workers=${workers}`, `--threads=${threads}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (l) => {
        if (l === '{"ready":true}') resolve();
      });
      child.once('exit', (code, sig) => reject(new Error(`the simulated workers' process exited (${code ?? sig}) before they were ready`)));
    });
  } catch (err) {
    child.kill();
    throw err;
  }
  return child;
}

if (process.argv[1] === self) {
  const { values } = parseArgs({ options: { scheduler: { type: 'string' }, workers: { type: 'string', default: '10' }, threads: { type: 'string', default: '2' } } });
  if (!values.scheduler) throw new Error('fleet-process: --scheduler=ws://host:port is required');
  const fleet = new SimFleet(values.scheduler);
  await fleet.add(Number(values.workers), Number(values.threads));
  console.log(JSON.stringify({ ready: true }));
}
