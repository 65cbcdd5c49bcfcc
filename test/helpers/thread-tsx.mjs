/**
 * Preloaded into the worker threads a test starts (thread-options.mjs): tsx, for a thread whose
 * script is a package's src/*.ts (a test that imports ../src/generate/index.js starts
 * src/generate/write-thread.ts). tsx rather than tap's ts-node, which costs 1 CPU-s more a
 * thread. Registered through tsx's API because `--import=tsx` registers itself only in the main
 * thread on Node 20 (where it cannot tell a worker from Node's own loader thread), and such a
 * thread then fails with 'Unknown file extension ".ts"'.
 */
import { register } from 'tsx/esm/api';

register();
