/**
 * JSON for the browser. Published values and task metrics arrive as msgpack data, so they may
 * hold typed arrays (a histogram's Float64Array), BigInts or Maps, which plain JSON.stringify
 * would mangle ({"0":…}) or refuse (BigInt). This encoder turns them into what a chart expects.
 */

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as ArrayLike<number | bigint>;
    const out = new Array<number | string>(arr.length);
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i]!;
      out[i] = typeof v === 'bigint' ? Number(v) : v;
    }
    return out;
  }
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

/** JSON text of `value` with typed arrays as arrays, BigInts as numbers (or strings when unsafe). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, replacer) ?? 'null';
}

/**
 * A published value as the browser will see it: the value itself, or a short note when its JSON
 * exceeds `maxBytes` (a huge value would stall every open dashboard and the push timer).
 */
export function boundedValue(value: unknown, maxBytes: number): unknown {
  let text: string;
  try {
    text = toJson(value);
  } catch (e) {
    return { __gluonNote: `value cannot be shown: ${(e as Error).message}` };
  }
  if (text.length > maxBytes) return { __gluonNote: `value too large to show (${text.length} bytes of JSON, limit ${maxBytes})` };
  return JSON.parse(text) as unknown;
}
