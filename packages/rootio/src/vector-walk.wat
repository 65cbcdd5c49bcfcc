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
;; with a byte-swapping swizzle: a run of groups' table words checked first, then their entries
;; moved ($walk). A group holding an entry of 8 elements or more goes through the one-at-a-time
;; loop.
;;
;; Assembled by scripts/assemble-wasm.mjs into vector-walk-wasm.ts (test/units/vector-walk.ts
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
  ;; the last are overwritten); $offs: where entry i's end (in elements, from $k0) goes, as int32;
  ;; $starts: room for 260 int32s (a run's starts, data-relative). Returns -1 when every entry is
  ;; good, else a non-negative number (an entry at or before the first bad one): the caller then
  ;; reads the basket the slow way, which names the bad entry. Nothing is written outside
  ;; [$out, $out + ($stop - first) + 64), [$offs, $offs + 4 $n) and [$starts, $starts + 1040).
  ;;
  ;; In two passes over each run of up to 256 short entries (0-7 elements, as a basket of leptons
  ;; is): the first reads only the table (each group's lengths checked, its ends written as
  ;; offsets, its starts kept), the second only moves the entries and checks their headers, with
  ;; no test and no call in its loop. A group with a long entry, or whose table words do not check
  ;; out, ends the run: the run before it is moved, the group goes through $one_by_one (which
  ;; checks each of its entries), and a new run starts after it. The last one to four entries,
  ;; whose last end is $stop rather than a table word, go through $one_by_one too.
  ;;
  ;; Why: one loop that checked each group, then moved it or called $one_by_one (as this kernel
  ;; did until 2026-12-04) made TurboFan spill and move registers in every group (its test, its
  ;; call and the values live across them). On the 120 vector baskets of bench/rootio.ts, each
  ;; inflated into this memory as the read does, the two passes take 0.78-0.81x its time; runs of
  ;; a whole basket took 1.02-1.08x (a run's starts, 4 bytes an entry, left the cache between the
  ;; passes), runs of 256 entries keep them in 1 KiB. See the README ("The kernel in two passes").
  ;;
  ;; Written for what V8 makes of it (Node 20's TurboFan, x64): every byte swap is an
  ;; i8x16.swizzle by the constant $SWAP (one pshufb; the same i8x16.shuffle is six instructions),
  ;; the loop's other constants and splats are loaded from memory once (see below), and the
  ;; headers' counts are gathered by v128.load32_lane (one pinsrd each).
  (func (export "walk") (param $d i32) (param $tbl i32) (param $n i32) (param $stop i32) (param $keylen i32)
        (param $out i32) (param $offs i32) (param $k0 i32) (param $starts i32) (result i32)
    (local $first i32) (local $i i32) (local $g i32) (local $m i32) (local $end i32) (local $long i32) (local $r i32)
    (local $a i32) (local $o i32) (local $t i32)
    (local $S v128) (local $E v128) (local $B v128) (local $DST v128) (local $HDR v128) (local $IDX v128)
    (local $BC v128) (local $CNT v128) (local $bad v128)
    (local $SWAP v128) (local $KEYLEN v128) (local $OUT v128) (local $D v128) (local $K0 v128)
    (local $TEN v128) (local $LENGTHS v128) (local $FLAG v128) (local $FORTY v128)
    (if (i32.eqz (local.get $n)) (then (return (i32.const -1))))
    (local.set $first (i32.sub (call $bswap (i32.load (local.get $tbl))) (local.get $keylen)))
    (if (i32.or (i32.lt_s (local.get $first) (i32.const 0)) (i32.gt_s (local.get $first) (local.get $stop))) (then (return (i32.const 0))))
    (local.set $SWAP (v128.const i8x16 3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12))
    (local.set $TEN (v128.load (i32.const 16)))
    (local.set $LENGTHS (v128.load (i32.const 32)))
    (local.set $FLAG (v128.load (i32.const 64)))
    (local.set $FORTY (v128.load (i32.const 80)))
    (v128.store (i32.const 96) (i32x4.splat (local.get $keylen)))
    (v128.store (i32.const 128) (i32x4.splat (local.get $out)))
    (v128.store (i32.const 144) (i32x4.splat (local.get $d)))
    (v128.store (i32.const 160) (i32x4.splat (local.get $k0)))
    (local.set $KEYLEN (v128.load (i32.const 96)))
    (local.set $K0 (v128.load (i32.const 160)))
    (local.set $OUT (v128.load (i32.const 128)))
    (local.set $D (v128.load (i32.const 144)))
    ;; a run of short entries from group $g, then the group that ended it
    (loop $segment
      (local.set $g (local.get $i))
      (local.set $long (i32.const 0))
      ;; lane j: first + 10 (i + j + 1), the header bytes up to the end of entry i + j
      (local.set $IDX (i32x4.add (i32x4.splat (i32.add (local.get $first) (i32.mul (local.get $g) (i32.const 10)))) (v128.const i32x4 10 20 30 40)))
      ;; Pass 1, the table, while the groups' ends all come from it. A length that is not 0-7
      ;; whole elements (bits outside 0x1c: a negative one, out of order, has its high bits set)
      ;; ends the run.
      (block $checked
        (loop $table
          (br_if $checked (i32.ge_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
          (br_if $checked (i32.ge_u (i32.sub (local.get $i) (local.get $g)) (i32.const 256)))
          (local.set $t (i32.add (local.get $tbl) (i32.shl (local.get $i) (i32.const 2))))
          (local.set $S (i32x4.sub (i8x16.swizzle (v128.load (local.get $t)) (local.get $SWAP)) (local.get $KEYLEN)))
          (local.set $E (i32x4.sub (i8x16.swizzle (v128.load offset=4 (local.get $t)) (local.get $SWAP)) (local.get $KEYLEN)))
          (if (v128.any_true (v128.and (i32x4.sub (i32x4.sub (local.get $E) (local.get $S)) (local.get $TEN)) (local.get $LENGTHS)))
            (then
              (local.set $long (i32.const 1))
              (br $checked)))
          (v128.store (i32.add (local.get $starts) (i32.shl (i32.sub (local.get $i) (local.get $g)) (i32.const 2))) (local.get $S))
          ;; offsets = k0 + (output bytes up to each entry's end) / 4
          (v128.store (i32.add (local.get $offs) (i32.shl (local.get $i) (i32.const 2)))
            (i32x4.add (i32x4.shr_u (i32x4.sub (local.get $E) (local.get $IDX)) (i32.const 2)) (local.get $K0)))
          (local.set $IDX (i32x4.add (local.get $IDX) (local.get $FORTY)))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $table)))
      (local.set $m (local.get $i))
      ;; Where entry m starts, the run's end: with every length in 0-28 bytes the ends rise from
      ;; the run's start, so it is the largest, and must be within the data. Kept as the last
      ;; group's last end (pass 2 reads each group's ends as the next entries' starts).
      (if (i32.gt_u (local.get $m) (local.get $g))
        (then
          (local.set $end (i32.sub (call $bswap (i32.load (i32.add (local.get $tbl) (i32.shl (local.get $m) (i32.const 2))))) (local.get $keylen)))
          (if (i32.gt_u (local.get $end) (local.get $stop)) (then (return (local.get $g))))
          (i32.store (i32.add (local.get $starts) (i32.shl (i32.sub (local.get $m) (local.get $g)) (i32.const 2))) (local.get $end))))
      ;; Pass 2, the run's entries: their places follow from their starts, all checked above.
      ;; lane j: first + 10 (i + j), the header bytes before entry i + j
      (local.set $IDX (i32x4.add (i32x4.splat (i32.add (local.get $first) (i32.mul (local.get $g) (i32.const 10)))) (v128.const i32x4 0 10 20 30)))
      (local.set $i (local.get $g))
      (block $moved
        (loop $group
          (br_if $moved (i32.ge_u (local.get $i) (local.get $m)))
          (local.set $t (i32.add (local.get $starts) (i32.shl (i32.sub (local.get $i) (local.get $g)) (i32.const 2))))
          (local.set $S (v128.load (local.get $t)))
          (local.set $B (i32x4.sub (i32x4.sub (v128.load offset=4 (local.get $t)) (local.get $S)) (local.get $TEN)))
          (local.set $DST (i32x4.add (i32x4.sub (local.get $S) (local.get $IDX)) (local.get $OUT)))
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
                          (i32x4.shr_u (local.get $B) (i32.const 2))))))
          (local.set $IDX (i32x4.add (local.get $IDX) (local.get $FORTY)))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $group)))
      ;; the group that ended the run, one entry at a time; then the next run
      (if (local.get $long)
        (then
          (local.set $r (call $one_by_one (local.get $d) (local.get $tbl) (local.get $n) (local.get $stop) (local.get $keylen)
                                          (local.get $out) (local.get $offs) (local.get $k0) (local.get $first) (local.get $m) (i32.add (local.get $m) (i32.const 4))))
          (if (i32.ge_s (local.get $r) (i32.const 0)) (then (return (local.get $r))))
          (local.set $i (i32.add (local.get $m) (i32.const 4)))
          (br $segment)))
      ;; a run cut at 256 entries: the next one
      (br_if $segment (i32.lt_u (i32.add (local.get $m) (i32.const 4)) (local.get $n))))
    (if (v128.any_true (local.get $bad)) (then (return (i32.const 0))))
    ;; the last one to four entries (the last ends at $stop, not at a table word)
    (call $one_by_one (local.get $d) (local.get $tbl) (local.get $n) (local.get $stop) (local.get $keylen)
                      (local.get $out) (local.get $offs) (local.get $k0) (local.get $first) (local.get $m) (local.get $n)))
)
