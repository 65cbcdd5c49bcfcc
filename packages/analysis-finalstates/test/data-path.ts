/** The real 4ℓ files beside the checkout (<repo>/../shared/data), or where they were looked for. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const OPENDATA = path.join(repo, '..', 'shared', 'data', 'atlas-opendata-13tev-2020-4lep');
export const HAVE_OPENDATA = existsSync(path.join(OPENDATA, 'Data', 'data_A.4lep.root'));
export const NO_OPENDATA = `shared data not found at ${OPENDATA}`;
export const NANOAOD = path.join(repo, 'packages', 'analysis-finalstates', 'test', 'fixtures', 'nanoAOD_2015_CMS_Open_Data_ttbar.root');
