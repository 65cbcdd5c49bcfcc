/**
 * Valid values of a schema's declared shape (`schema.shape`, @gluon/protocol schema.ts), as
 * fast-check arbitraries: for the schema tests here and the schema-aware fuzzer of the client's
 * tests (packages/client/test/fuzz-kit.ts).
 */
import fc from 'fast-check';
import type { Shape } from '../src/index.js';

/** A valid value of `shape` (small: the fuzzer is about shapes, not volume). */
export function valid(shape: Shape): fc.Arbitrary<unknown> {
  switch (shape.type) {
    case 'any': return fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.array(fc.integer(), { maxLength: 4 }), fc.boolean());
    // fast-check's strings are printable ASCII: they fit `plain` too.
    case 'string': return fc.string({ minLength: shape.nonEmpty ? 1 : 0, maxLength: Math.min(12, shape.maxLength ?? 12) });
    case 'number': {
      const min = shape.min ?? -1e9;
      const max = shape.max ?? 1e9;
      return shape.int ? fc.integer({ min: Math.ceil(Math.max(min, -1e9)), max: Math.floor(Math.min(max, 1e9)) })
        : fc.double({ min, max: Math.min(max, 1e12), noNaN: true, noDefaultInfinity: true });
    }
    case 'boolean': return fc.boolean();
    case 'literal': return fc.constantFrom(...shape.values);
    case 'array': return fc.array(valid(shape.item), { minLength: shape.min, maxLength: shape.min + 3 });
    case 'record': return fc.dictionary(key(), valid(shape.value), { maxKeys: 3 });
    case 'object': {
      const fields: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [name, f] of Object.entries(shape.fields)) {
        fields[name] = valid(f.shape);
        if (!f.optional) required.push(name);
      }
      return fc.record(fields, { requiredKeys: required }) as fc.Arbitrary<unknown>;
    }
  }
}

/** Map keys: msgpack renames `__proto__`, which would make the oracle see another object. */
export function key(): fc.Arbitrary<string> {
  return fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__');
}
