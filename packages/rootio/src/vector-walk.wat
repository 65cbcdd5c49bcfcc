;; std::vector<4-byte element> entries of one decompressed ROOT basket -> offsets and values
;; (see vector-walk.ts, which lays out the memory and copies the results out).
;;
;; An entry is a byte count (0x40000000 | bytes after it), a 2-byte version, a 4-byte element
;; count, then the elements, all big-endian; the basket's entry-offset table gives each entry's
;; start (big-endian, key-relative: minus keylen). Every entry is checked before anything is
;; trusted: its length from the table must be 10 + 4 x count, its byte count must say the same,
;; and the entries must rise within [first, stop]. Each entry's place in the output follows from
;; its start alone ((start - first) - 10 x index), so the entries are independent: four at a time
;; with SIMD (the table's byte swap, the checks, the offsets), each copied as two 16-byte moves
;; with a byte-swapping swizzle. Entries of 8 elements or more (and any group holding one) go
;; through the one-at-a-time loop.
;;
;; Assembled by scripts/assemble-wasm.mjs into vector-walk-wasm.ts (test/vector-walk.test.ts
;; checks the committed binary is this source's).
(module
  (memory (export "memory") 1)
  ;; [0, 256): the kernel's constants (loaded once a call: see $walk) and room for its splats;
  ;; vector-walk.ts lays baskets out from 256 (BASE).
  (data (i32.const 0)
    "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00"  ;; 0: (unused)
    "\0a\00\00\00\0a\00\00\00\0a\00\00\00\0a\00\00\00"  ;; 16: 10 (an entry's header bytes)
    "\e3\ff\ff\ff\e3\ff\ff\ff\e3\ff\ff\ff\e3\ff\ff\ff"  ;; 32: ~0x1c (the bits no length of 0-7 elements has)
    "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00"  ;; 48: (unused)
    "\06\00\00\40\06\00\00\40\06\00\00\40\06\00\00\40"  ;; 64: 0x40000006 (a byte count's flag and the 6 bytes before the elements)
    "\28\00\00\00\28\00\00\00\28\00\00\00\28\00\00\00") ;; 80: 40 (4 entries' header bytes)

  ;; A 32-bit byte swap (WebAssembly has no instruction for it).
  (func $bswap (param $x i32) (result i32)
    (i32.or
      (i32.and (i32.rotl (local.get $x) (i32.const 8)) (i32.const 0x00ff00ff))
      (i32.and (i32.rotr (local.get $x) (i32.const 8)) (i32.const 0xff00ff00))))

  ;; Entries [i, i1) one at a time, any length. Same parameters as $walk, plus $first (entry 0's
  ;; start). Returns -1, or the first entry found bad (nothing past it is written).
  (func $one_by_one (param $d i32) (param $tbl i32) (param $n i32) (param $stop i32) (param $keylen i32)
        (param $out i32) (param $offs i32) (param $k0 i32) (param $first i32) (param $i i32) (param $i1 i32) (result i32)
    (local $s i32) (local $e i32) (local $bytes i32) (local $src i32) (local $dst i32) (local $q i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $i1)))
        (local.set $s (i32.sub (call $bswap (i32.load (i32.add (local.get $tbl) (i32.shl (local.get $i) (i32.const 2))))) (local.get $keylen)))
        ;; the last entry ends at $stop, any other where the next starts
        (local.set $e
          (if (result i32) (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $n))
            (then (i32.sub (call $bswap (i32.load offset=4 (i32.add (local.get $tbl) (i32.shl (local.get $i) (i32.const 2))))) (local.get $keylen)))
            (else (local.get $stop))))
        (local.set $bytes (i32.sub (i32.sub (local.get $e) (local.get $s)) (i32.const 10)))
        (local.set $src (i32.add (local.get $d) (local.get $s)))
        (if (i32.or
              (i32.or
                (i32.or (i32.lt_s (local.get $bytes) (i32.const 0)) (i32.and (local.get $bytes) (i32.const 3)))
                (i32.or (i32.gt_u (local.get $e) (local.get $stop)) (i32.lt_s (local.get $s) (local.get $first))))
              (i32.or
                (i32.ne (i32.load (local.get $src)) (call $bswap (i32.add (local.get $bytes) (i32.const 0x40000006))))
                (i32.ne (i32.load offset=6 (local.get $src)) (call $bswap (i32.shr_u (local.get $bytes) (i32.const 2))))))
          (then (return (local.get $i))))
        ;; output bytes before this entry: (s - first) - 10 i
        (local.set $dst (i32.add (local.get $out) (i32.sub (i32.sub (local.get $s) (local.get $first)) (i32.mul (local.get $i) (i32.const 10)))))
        (local.set $q (i32.const 0))
        (block $copied
          (loop $more
            (br_if $copied (i32.ge_u (local.get $q) (local.get $bytes)))
            (v128.store (i32.add (local.get $dst) (local.get $q))
              (i8x16.swizzle (v128.load offset=10 (i32.add (local.get $src) (local.get $q))) (v128.const i8x16 3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br $more)))
        (i32.store (i32.add (local.get $offs) (i32.shl (local.get $i) (i32.const 2)))
          (i32.add (local.get $k0) (i32.shr_u (i32.add (i32.sub (local.get $dst) (local.get $out)) (local.get $bytes)) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const -1))

  ;; Walks $n entries. $d: address of the basket's data; $tbl: address of the first entry's table
  ;; word; $stop: where the last entry ends (data-relative); $keylen: what to subtract from a table
  ;; word; $out: where the first entry's values go (byte-swapped, 4 bytes each; up to 64 bytes past
  ;; the last are overwritten); $offs: where entry i's end (in elements, from $k0) goes, as int32.
  ;; Returns -1 when every entry is good, else a non-negative number (an entry at or before the
  ;; first bad one): the caller then reads the basket the slow way, which names the bad entry.
  ;; Nothing is written outside [$out, $out + ($stop - first) + 64) and [$offs, $offs + 4 $n).
  ;;
  ;; Written for what V8 makes of it (Node 20's TurboFan, x64): every byte swap is an
  ;; i8x16.swizzle by the constant $SWAP (one pshufb; the same i8x16.shuffle is six instructions),
  ;; the loop's other constants and splats are loaded from memory once (see below), the headers'
  ;; counts are gathered by v128.load32_lane (one pinsrd each) and the group's checks are one test.
  (func (export "walk") (param $d i32) (param $tbl i32) (param $n i32) (param $stop i32) (param $keylen i32)
        (param $out i32) (param $offs i32) (param $k0 i32) (result i32)
    (local $first i32) (local $i i32) (local $r i32) (local $a i32) (local $o i32) (local $t i32)
    (local $S v128) (local $E v128) (local $B v128) (local $W v128) (local $DST v128) (local $HDR v128) (local $IDX v128)
    (local $BC v128) (local $CNT v128) (local $bad v128)
    (local $SWAP v128) (local $KEYLEN v128) (local $STOP v128) (local $OUT v128) (local $D v128) (local $K0 v128)
    (local $TEN v128) (local $LENGTHS v128) (local $FLAG v128) (local $FORTY v128)
    (if (i32.eqz (local.get $n)) (then (return (i32.const -1))))
    (local.set $first (i32.sub (call $bswap (i32.load (local.get $tbl))) (local.get $keylen)))
    (if (i32.or (i32.lt_s (local.get $first) (i32.const 0)) (i32.gt_s (local.get $first) (local.get $stop))) (then (return (i32.const 0))))
    ;; The loop's constants and splats are loaded from memory: TurboFan builds a v128.const or a
    ;; splat again at each use inside the loop (3-4 instructions each), where a loaded value stays
    ;; in a register or is one memory operand.
    ;; (not the byte swap: a swizzle by a constant is one pshufb, by a loaded value three)
    (local.set $SWAP (v128.const i8x16 3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12))
    (local.set $TEN (v128.load (i32.const 16)))
    (local.set $LENGTHS (v128.load (i32.const 32)))
    (local.set $FLAG (v128.load (i32.const 64)))
    (local.set $FORTY (v128.load (i32.const 80)))
    (v128.store (i32.const 96) (i32x4.splat (local.get $keylen)))
    (v128.store (i32.const 112) (i32x4.splat (local.get $stop)))
    (v128.store (i32.const 128) (i32x4.splat (local.get $out)))
    (v128.store (i32.const 144) (i32x4.splat (local.get $d)))
    (v128.store (i32.const 160) (i32x4.splat (local.get $k0)))
    (local.set $KEYLEN (v128.load (i32.const 96)))
    (local.set $STOP (v128.load (i32.const 112)))
    (local.set $OUT (v128.load (i32.const 128)))
    (local.set $D (v128.load (i32.const 144)))
    (local.set $K0 (v128.load (i32.const 160)))
    ;; lane j: first + 10 (i + j + 1), the header bytes up to the end of entry i + j
    (local.set $IDX (i32x4.add (i32x4.splat (local.get $first)) (v128.const i32x4 10 20 30 40)))
    (block $vdone
      (loop $group
        ;; four entries whose ends all come from the table
        (br_if $vdone (i32.ge_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $t (i32.add (local.get $tbl) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $S (i32x4.sub (i8x16.swizzle (v128.load (local.get $t)) (local.get $SWAP)) (local.get $KEYLEN)))
        (local.set $E (i32x4.sub (i8x16.swizzle (v128.load offset=4 (local.get $t)) (local.get $SWAP)) (local.get $KEYLEN)))
        (local.set $B (i32x4.sub (i32x4.sub (local.get $E) (local.get $S)) (local.get $TEN)))
        ;; one test: a length that is not 0-7 whole elements (bits outside 0x1c: a negative one, out
        ;; of order, has its high bits set), or the last end past $stop. With every length in
        ;; 0-28 bytes the ends rise (each entry starts where the one before ends, the group's first
        ;; where the last group ended, or at $first), so the last end is the largest.
        (if (i32.or (v128.any_true (v128.and (local.get $B) (local.get $LENGTHS)))
                    (i32.gt_u (i32x4.extract_lane 3 (local.get $E)) (local.get $stop)))
          (then
            ;; out of order or past the end: stop before writing anything of these
            (if (v128.any_true (v128.or (i32x4.lt_s (local.get $B) (v128.const i32x4 0 0 0 0))
                                        (i32x4.gt_u (local.get $E) (local.get $STOP))))
              (then (return (local.get $i))))
            ;; a long entry (or a length no count fits): one at a time
            (local.set $r (call $one_by_one (local.get $d) (local.get $tbl) (local.get $n) (local.get $stop) (local.get $keylen)
                                            (local.get $out) (local.get $offs) (local.get $k0) (local.get $first) (local.get $i) (i32.add (local.get $i) (i32.const 4))))
            (if (i32.ge_s (local.get $r) (i32.const 0)) (then (return (local.get $r)))))
          (else
            ;; W: output bytes up to each entry's end; offsets = k0 + W / 4
            (local.set $W (i32x4.sub (local.get $E) (local.get $IDX)))
            (v128.store (i32.add (local.get $offs) (i32.shl (local.get $i) (i32.const 2)))
              (i32x4.add (i32x4.shr_u (local.get $W) (i32.const 2)) (local.get $K0)))
            (local.set $DST (i32x4.add (i32x4.sub (local.get $W) (local.get $B)) (local.get $OUT)))
            (local.set $HDR (i32x4.add (local.get $S) (local.get $D)))
            ;; each entry: its byte count and element count gathered, its elements moved
            (local.set $a (i32x4.extract_lane 0 (local.get $HDR)))
            (local.set $o (i32x4.extract_lane 0 (local.get $DST)))
            (local.set $BC (v128.load32_lane 0 (local.get $a) (local.get $BC)))
            (local.set $CNT (v128.load32_lane offset=6 0 (local.get $a) (local.get $CNT)))
            (v128.store (local.get $o) (i8x16.swizzle (v128.load offset=10 (local.get $a)) (local.get $SWAP)))
            (v128.store offset=16 (local.get $o) (i8x16.swizzle (v128.load offset=26 (local.get $a)) (local.get $SWAP)))
            (local.set $a (i32x4.extract_lane 1 (local.get $HDR)))
            (local.set $o (i32x4.extract_lane 1 (local.get $DST)))
            (local.set $BC (v128.load32_lane 1 (local.get $a) (local.get $BC)))
            (local.set $CNT (v128.load32_lane offset=6 1 (local.get $a) (local.get $CNT)))
            (v128.store (local.get $o) (i8x16.swizzle (v128.load offset=10 (local.get $a)) (local.get $SWAP)))
            (v128.store offset=16 (local.get $o) (i8x16.swizzle (v128.load offset=26 (local.get $a)) (local.get $SWAP)))
            (local.set $a (i32x4.extract_lane 2 (local.get $HDR)))
            (local.set $o (i32x4.extract_lane 2 (local.get $DST)))
            (local.set $BC (v128.load32_lane 2 (local.get $a) (local.get $BC)))
            (local.set $CNT (v128.load32_lane offset=6 2 (local.get $a) (local.get $CNT)))
            (v128.store (local.get $o) (i8x16.swizzle (v128.load offset=10 (local.get $a)) (local.get $SWAP)))
            (v128.store offset=16 (local.get $o) (i8x16.swizzle (v128.load offset=26 (local.get $a)) (local.get $SWAP)))
            (local.set $a (i32x4.extract_lane 3 (local.get $HDR)))
            (local.set $o (i32x4.extract_lane 3 (local.get $DST)))
            (local.set $BC (v128.load32_lane 3 (local.get $a) (local.get $BC)))
            (local.set $CNT (v128.load32_lane offset=6 3 (local.get $a) (local.get $CNT)))
            (v128.store (local.get $o) (i8x16.swizzle (v128.load offset=10 (local.get $a)) (local.get $SWAP)))
            (v128.store offset=16 (local.get $o) (i8x16.swizzle (v128.load offset=26 (local.get $a)) (local.get $SWAP)))
            ;; the headers, big-endian: byte count (bytes + 0x40000006) and element count
            ;; (bytes / 4), against what the table says (any difference is kept in $bad)
            (local.set $bad (v128.or (local.get $bad)
              (v128.or
                (v128.xor (i8x16.swizzle (local.get $BC) (local.get $SWAP))
                          (i32x4.add (local.get $B) (local.get $FLAG)))
                (v128.xor (i8x16.swizzle (local.get $CNT) (local.get $SWAP))
                          (i32x4.shr_u (local.get $B) (i32.const 2))))))))
        (local.set $IDX (i32x4.add (local.get $IDX) (local.get $FORTY)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $group)))
    (if (v128.any_true (local.get $bad)) (then (return (i32.const 0))))
    ;; the last one to four entries (the last ends at $stop, not at a table word)
    (call $one_by_one (local.get $d) (local.get $tbl) (local.get $n) (local.get $stop) (local.get $keylen)
                      (local.get $out) (local.get $offs) (local.get $k0) (local.get $first) (local.get $i) (local.get $n)))
)
