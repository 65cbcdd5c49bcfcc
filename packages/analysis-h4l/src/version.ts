import { packageVersionOf } from '@gluon/protocol/tools';

/** This package's version (`gluon-h4l --version`, and recorded in every run's outputs). */
export const VERSION: string = packageVersionOf(import.meta.url);
