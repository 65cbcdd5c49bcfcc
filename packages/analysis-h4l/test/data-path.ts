/** The real 4-lepton files for the tests: only beside the checkout (rootio's shared-data.ts). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { sharedDataDir, SHARED_DATA } from '../../rootio/test/shared-data.js';

/** `<checkout>/../shared/data`, or undefined. */
export function sharedData(): string | undefined {
  return sharedDataDir() ?? undefined;
}

/** The 4lep dataset directory, or undefined (tests skip with a message naming the path). */
export function opendataDir(): { dir?: string; looked: string } {
  const looked = path.join(SHARED_DATA, 'atlas-opendata-13tev-2020-4lep');
  return { dir: existsSync(path.join(looked, 'Data', 'data_A.4lep.root')) ? looked : undefined, looked };
}
