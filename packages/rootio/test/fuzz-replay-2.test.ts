import t from 'tap';
import { replay } from './fuzz-replay-run.js';

// The second third of the committed fixtures, mutated and read whole (see fuzz-replay-run.ts).
await replay(t, 1, 3);
