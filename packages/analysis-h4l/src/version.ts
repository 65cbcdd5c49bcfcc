import { readFileSync } from 'node:fs';

/** This package's version (`gluon-h4l --version`, and recorded in every run's outputs). */
export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
