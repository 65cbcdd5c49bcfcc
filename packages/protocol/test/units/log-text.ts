import t from 'tap';
import { logText } from '../../src/index.js';

t.test('logText: a peer\'s text cannot start a line of the log or rewrite one', async (t) => {
  t.equal(logText('worker w1 joined at ws://h:1'), 'worker w1 joined at ws://h:1', 'an ordinary line is as it was');
  t.equal(logText('client a\n2026-01-01T00:00:00.000Z scheduler: forged'), 'client a\n    2026-01-01T00:00:00.000Z scheduler: forged',
    'a line break is a continuation, indented');
  t.equal(logText('a\r\nb\rc'), 'a\n    b\\rc', 'CRLF is one break; a lone carriage return is shown');
  t.equal(logText('x\x1b[2Ky\x00\x7f\u0085\u2028\u2029\u202e\u2066'), 'x\\u001b[2Ky\\u0000\\u007f\\u0085\\u2028\\u2029\\u202e\\u2066', 'controls, separators, bidi overrides escaped');
  t.equal(logText('tab\tkept, é and 漢字 too'), 'tab\tkept, é and 漢字 too');
  const stack = 'Error: boom\n    at f (a.js:1:1)\n    at g (b.js:2:2)';
  t.equal(logText(stack), stack, 'a stack trace, already indented, is as it was');
  t.equal(logText(`${stack}\x1b`), 'Error: boom\n        at f (a.js:1:1)\n        at g (b.js:2:2)\\u001b', 'and stays readable when something else is escaped');
});
