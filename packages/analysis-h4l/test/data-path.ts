/** Locates <repo>/../shared/data by walking up from this file. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function sharedData(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const c = path.join(dir, '..', 'shared', 'data');
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'packages')) && existsSync(c)) return c;
    dir = path.dirname(dir);
  }
  return undefined;
}

/** The 4lep dataset directory, or undefined (tests skip with a message naming the path). */
export function opendataDir(): { dir?: string; looked: string } {
  const d = sharedData();
  const looked = d ? path.join(d, 'atlas-opendata-13tev-2020-4lep') : '<repo>/../shared/data';
  return { dir: d && existsSync(path.join(looked, 'Data', 'data_A.4lep.root')) ? looked : undefined, looked };
}
