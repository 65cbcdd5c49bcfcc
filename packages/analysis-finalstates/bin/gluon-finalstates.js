#!/usr/bin/env node
// A launcher committed to git, so that npm links `gluon-finalstates` at install time, before any build
// has made dist/ (a bin whose target is missing is not linked, and npx would then look it up
// in the public registry). Its body is @gluon/protocol's, shared by every package's launcher.
import { launch } from '@gluon/protocol/launch';

await launch(import.meta.url, 'gluon-finalstates', '@gluon/analysis-finalstates');
