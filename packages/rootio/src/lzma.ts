/**
 * LZMA and LZMA2 decoding into a caller-sized buffer. The output buffer is the dictionary: ROOT
 * blocks are at most 16 MiB and we always know their decompressed size, so nothing is ever
 * allocated beyond it and a block that would decode to more is rejected at the first extra byte
 * (a crafted "bomb" costs no more memory than its declared size).
 */

const PROB_INIT = 1024;
const STATES = 12;
const POS_STATES_MAX = 16;
const END_POS_MODEL = 14;
const FULL_DISTANCES = 128;
const ALIGN_BITS = 4;

/** Bit-level range decoder over `src[pos … end)`. */
class RangeDecoder {
  range = 0xffffffff;
  code = 0;
  constructor(readonly src: Uint8Array, public pos: number, readonly end: number) {
    if (pos + 5 > end) throw new Error('LZMA: chunk too short for the range coder');
    if (src[pos] !== 0) throw new Error('LZMA: range coder does not start with a zero byte');
    for (let i = 1; i < 5; i++) this.code = ((this.code << 8) | src[pos + i]!) >>> 0;
    this.pos = pos + 5;
    if (this.code === this.range) throw new Error('LZMA: damaged range coder start');
  }

  private next(): number {
    if (this.pos >= this.end) throw new Error('LZMA: compressed data ends early');
    return this.src[this.pos++]!;
  }

  bit(probs: Uint16Array, i: number): number {
    const p = probs[i]!;
    const bound = (this.range >>> 11) * p;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      probs[i] = p + ((2048 - p) >>> 5);
      b = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      probs[i] = p - (p >>> 5);
      b = 1;
    }
    if (this.range < 0x1000000) {
      this.range = (this.range * 256) >>> 0;
      this.code = ((this.code * 256) + this.next()) >>> 0;
    }
    return b;
  }

  /** `n` bits MSB first from a tree of 2^n probabilities starting at `base`. */
  tree(probs: Uint16Array, base: number, n: number): number {
    let m = 1;
    for (let i = 0; i < n; i++) m = (m << 1) | this.bit(probs, base + m);
    return m - (1 << n);
  }

  /** `n` bits LSB first from a tree at `base` (index 1 is its root). */
  reverse(probs: Uint16Array, base: number, n: number): number {
    let m = 1;
    let r = 0;
    for (let i = 0; i < n; i++) {
      const b = this.bit(probs, base + m);
      m = (m << 1) | b;
      r |= b << i;
    }
    return r;
  }

  direct(n: number): number {
    let r = 0;
    for (let i = 0; i < n; i++) {
      this.range >>>= 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        b = 1;
      }
      r = ((r << 1) | b) >>> 0;
      if (this.range < 0x1000000) {
        this.range = (this.range * 256) >>> 0;
        this.code = ((this.code * 256) + this.next()) >>> 0;
      }
    }
    return r;
  }
}

/** Probabilities of one length decoder (match or rep lengths). */
class LengthCoder {
  readonly probs = new Uint16Array(2 + POS_STATES_MAX * 8 * 2 + 256);
  reset(): void {
    this.probs.fill(PROB_INIT);
  }
  /** Match length minus 2. */
  decode(rc: RangeDecoder, posState: number): number {
    const p = this.probs;
    if (rc.bit(p, 0) === 0) return rc.tree(p, 2 + posState * 8, 3);
    if (rc.bit(p, 1) === 0) return 8 + rc.tree(p, 2 + POS_STATES_MAX * 8 + posState * 8, 3);
    return 16 + rc.tree(p, 2 + POS_STATES_MAX * 16, 8);
  }
}

/**
 * The LZMA decoder state kept across LZMA2 chunks: probabilities, the state machine and the
 * last four distances. Writes into `out` from `pos`; `dictStart` is where the last dictionary
 * reset happened (no match may reach before it).
 */
export class LzmaDecoder {
  lc = 0;
  lp = 0;
  pb = 0;
  private state = 0;
  private reps = [0, 0, 0, 0];
  private readonly isMatch = new Uint16Array(STATES * POS_STATES_MAX);
  private readonly isRep = new Uint16Array(STATES * 4);
  private readonly isRep0Long = new Uint16Array(STATES * POS_STATES_MAX);
  private readonly posSlot = new Uint16Array(4 * 64);
  private readonly posSpecial = new Uint16Array(1 + FULL_DISTANCES - END_POS_MODEL);
  private readonly align = new Uint16Array(1 << ALIGN_BITS);
  private readonly lenCoder = new LengthCoder();
  private readonly repLenCoder = new LengthCoder();
  private literal = new Uint16Array(0x300);

  constructor(readonly out: Uint8Array) {}
  pos = 0;
  dictStart = 0;

  /** Sets lc/lp/pb from LZMA's properties byte. */
  setProperties(props: number): void {
    if (props >= 9 * 5 * 5) throw new Error(`LZMA: properties byte ${props} is out of range`);
    this.lc = props % 9;
    this.lp = Math.floor(props / 9) % 5;
    this.pb = Math.floor(props / 45);
    const need = 0x300 << (this.lc + this.lp);
    if (this.literal.length !== need) this.literal = new Uint16Array(need);
  }

  resetState(): void {
    this.state = 0;
    this.reps = [0, 0, 0, 0];
    for (const a of [this.isMatch, this.isRep, this.isRep0Long, this.posSlot, this.posSpecial, this.align, this.literal]) a.fill(PROB_INIT);
    this.lenCoder.reset();
    this.repLenCoder.reset();
  }

  /** Decodes exactly `size` bytes from `rc` into `out` at `pos` (LZMA2 chunks carry no end marker). */
  decode(rc: RangeDecoder, size: number): void {
    const out = this.out;
    const end = this.pos + size;
    if (end > out.length) throw new Error(`LZMA: data decodes past its declared ${out.length} bytes`);
    const pbMask = (1 << this.pb) - 1;
    const lpMask = (1 << this.lp) - 1;
    const lc = this.lc;
    let { pos, state } = this;
    const reps = this.reps;
    const isMatch = this.isMatch;
    const isRep = this.isRep;
    const lit = this.literal;
    while (pos < end) {
      const posState = pos & pbMask;
      if (rc.bit(isMatch, (state << 4) + posState) === 0) {
        const prev = pos > this.dictStart ? out[pos - 1]! : 0;
        const base = 0x300 * (((pos & lpMask) << lc) + (prev >>> (8 - lc)));
        let sym = 1;
        if (state >= 7) {
          let match = out[pos - reps[0]! - 1]!;
          do {
            const mbit = (match >>> 7) & 1;
            match <<= 1;
            const b = rc.bit(lit, base + ((1 + mbit) << 8) + sym);
            sym = (sym << 1) | b;
            if (b !== mbit) break;
          } while (sym < 0x100);
        }
        while (sym < 0x100) sym = (sym << 1) | rc.bit(lit, base + sym);
        out[pos++] = sym & 0xff;
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      let len: number;
      if (rc.bit(isRep, state) === 0) {
        reps[3] = reps[2]!;
        reps[2] = reps[1]!;
        reps[1] = reps[0]!;
        len = this.lenCoder.decode(rc, posState);
        state = state < 7 ? 7 : 10;
        reps[0] = this.distance(rc, len);
      } else {
        if (rc.bit(isRep, STATES + state) === 0) {
          if (rc.bit(this.isRep0Long, (state << 4) + posState) === 0) {
            state = state < 7 ? 9 : 11;
            if (reps[0]! >= pos - this.dictStart) throw new Error(`LZMA: match distance ${reps[0]! + 1} reaches before the data`);
            out[pos] = out[pos - reps[0]! - 1]!;
            pos++;
            continue;
          }
        } else {
          let dist: number;
          if (rc.bit(isRep, 2 * STATES + state) === 0) {
            dist = reps[1]!;
          } else {
            if (rc.bit(isRep, 3 * STATES + state) === 0) {
              dist = reps[2]!;
            } else {
              dist = reps[3]!;
              reps[3] = reps[2]!;
            }
            reps[2] = reps[1]!;
          }
          reps[1] = reps[0]!;
          reps[0] = dist;
        }
        len = this.repLenCoder.decode(rc, posState);
        state = state < 7 ? 8 : 11;
      }
      const dist = reps[0]! + 1;
      if (dist > pos - this.dictStart) throw new Error(`LZMA: match distance ${dist} reaches before the data`);
      const n = len + 2;
      if (pos + n > end) throw new Error('LZMA: a match runs past the end of its chunk');
      // Byte by byte: the source may overlap what this match writes.
      for (let i = 0; i < n; i++, pos++) out[pos] = out[pos - dist]!;
    }
    this.pos = pos;
    this.state = state;
  }

  private distance(rc: RangeDecoder, len: number): number {
    const lenState = len < 3 ? len : 3;
    const slot = rc.tree(this.posSlot, lenState * 64, 6);
    if (slot < 4) return slot;
    const direct = (slot >>> 1) - 1;
    let dist = ((2 | (slot & 1)) << direct) >>> 0;
    if (slot < END_POS_MODEL) return (dist + rc.reverse(this.posSpecial, dist - slot - 1, direct)) >>> 0;
    dist = (dist + (rc.direct(direct - ALIGN_BITS) << ALIGN_BITS)) >>> 0;
    return (dist + rc.reverse(this.align, -1, ALIGN_BITS)) >>> 0;
  }
}

/**
 * Decodes LZMA2 data `src[start … end)` into `out[pos …]`, returning where the input stopped
 * (after the end-of-data byte). Every chunk's sizes are checked against the room left in `out`
 * before it is decoded.
 */
export function lzma2Decode(src: Uint8Array, start: number, end: number, dec: LzmaDecoder): number {
  let s = start;
  let needProps = true;
  let needDictReset = true;
  for (;;) {
    if (s >= end) throw new Error('LZMA2: data ends before its end marker');
    const control = src[s++]!;
    if (control === 0) return s;
    const room = dec.out.length - dec.pos;
    if (control === 1 || control === 2) {
      if (s + 2 > end) throw new Error('LZMA2: truncated chunk header');
      if (control === 1) {
        dec.dictStart = dec.pos;
        needDictReset = false;
      } else if (needDictReset) throw new Error('LZMA2: first chunk does not reset the dictionary');
      const size = ((src[s]! << 8) | src[s + 1]!) + 1;
      s += 2;
      if (size > room) throw new Error(`LZMA2: data decodes past its declared ${dec.out.length} bytes`);
      if (s + size > end) throw new Error('LZMA2: stored chunk runs past the data');
      dec.out.set(src.subarray(s, s + size), dec.pos);
      dec.pos += size;
      s += size;
      continue;
    }
    if (control < 0x80) throw new Error(`LZMA2: invalid control byte 0x${control.toString(16)}`);
    if (s + 4 > end) throw new Error('LZMA2: truncated chunk header');
    const unpacked = (((control & 0x1f) << 16) | (src[s]! << 8) | src[s + 1]!) + 1;
    const packed = ((src[s + 2]! << 8) | src[s + 3]!) + 1;
    s += 4;
    const reset = (control >>> 5) & 3;
    if (reset === 3) {
      dec.dictStart = dec.pos;
      needDictReset = false;
    } else if (needDictReset) throw new Error('LZMA2: first chunk does not reset the dictionary');
    if (reset >= 2) {
      if (s >= end) throw new Error('LZMA2: truncated properties');
      const props = src[s++]!;
      dec.setProperties(props);
      if (dec.lc + dec.lp > 4) throw new Error('LZMA2: lc + lp exceeds 4');
      needProps = false;
    } else if (needProps) throw new Error('LZMA2: chunk without properties');
    if (reset >= 1) dec.resetState();
    if (unpacked > room) throw new Error(`LZMA2: data decodes past its declared ${dec.out.length} bytes`);
    if (s + packed > end) throw new Error('LZMA2: compressed chunk runs past the data');
    const rc = new RangeDecoder(src, s, s + packed);
    dec.decode(rc, unpacked);
    if (rc.pos !== s + packed || rc.code !== 0) throw new Error('LZMA2: chunk does not end where its header says');
    s += packed;
  }
}
