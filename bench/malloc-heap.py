# Where glibc's main heap is resident and what is alive in it: a DIAGNOSIS aid, not a benchmark.
#
#   gdb -p PID -batch -x bench/malloc-heap.py      (needs gdb and glibc's debug symbols: libc6-dbg)
#
# Walks the main arena's chunks from mp_.sbrk_base to the top chunk (free: not marked in use by the
# next chunk, or in a fastbin or a thread's tcache), reads which pages are resident from
# /proc/PID/pagemap, and prints: the heap's size, its resident pages, the resident pages holding no
# byte in use (memory glibc keeps because it returns only the heap's top, or all free pages with
# malloc_trim, which Node cannot call), the in-use chunks by size, and a map of the heap per MiB
# (resident / in use). HEAPWALK_DUMP=FILE also writes every chunk (address, size, in use) as JSON.
# Used for docs/internals.md, "What holds glibc's main heap after a release".
import gdb, struct, os, collections, json
pid = gdb.selected_inferior().pid
inf = gdb.selected_inferior()
base = int(gdb.parse_and_eval('mp_.sbrk_base').cast(gdb.lookup_type('unsigned long')))
top = int(gdb.parse_and_eval('main_arena.top').cast(gdb.lookup_type('unsigned long')))
topsize = int(gdb.parse_and_eval('((unsigned long*)main_arena.top)[1]')) & ~7
end = top + topsize
mem = bytes(inf.read_memory(base, end - base))
free = set()
# fastbins of main arena
for i in range(10):
    p = int(gdb.parse_and_eval('(unsigned long)main_arena.fastbinsY[%d]' % i))
    n = 0
    while p and n < 1000000 and base <= p < end:
        free.add(p); n += 1
        nxt = struct.unpack_from('<Q', mem, p + 16 - base)[0]
        p = nxt ^ ((p + 16) >> 12)
# tcache of every thread
for th in inf.threads():
    th.switch()
    try:
        tc = int(gdb.parse_and_eval('(unsigned long)tcache'))
    except gdb.error:
        continue
    if not tc: continue
    for i in range(64):
        e = int(gdb.parse_and_eval('(unsigned long)((tcache_perthread_struct*)%d)->entries[%d]' % (tc, i)))
        n = 0
        while e and n < 10000:
            if base <= e < end: free.add(e - 16)
            n += 1
            try:
                nxt = struct.unpack_from('<Q', bytes(inf.read_memory(e, 8)))[0]
            except Exception:
                break
            e = nxt ^ (e >> 12)
# walk
chunks = []  # (addr, size, inuse)
p = base
while p < top:
    size = struct.unpack_from('<Q', mem, p + 8 - base)[0] & ~7
    if size == 0: break
    nxt = p + size
    nsize = struct.unpack_from('<Q', mem, nxt + 8 - base)[0] if nxt < end else 1
    inuse = bool(nsize & 1) and p not in free
    chunks.append((p, size, inuse))
    p = nxt
# residency from pagemap
PG = 4096
res = []
with open('/proc/%d/pagemap' % pid, 'rb') as f:
    f.seek((base // PG) * 8)
    raw = f.read(((end - base) // PG + 1) * 8)
for i in range(len(raw) // 8):
    v = struct.unpack_from('<Q', raw, i * 8)[0]
    res.append(bool(v >> 63))
npages = len(res)
used = [0] * npages
for (a, s, u) in chunks:
    if not u: continue
    lo, hi = a, a + s
    pg = (lo - base) // PG
    while lo < hi and pg < npages:
        pe = base + (pg + 1) * PG
        used[pg] += min(hi, pe) - lo
        lo = pe; pg += 1
resident = sum(res)
empty_res = sum(1 for i in range(npages) if res[i] and used[i] == 0)
inuse_bytes = sum(s for (a, s, u) in chunks if u)
free_bytes = sum(s for (a, s, u) in chunks if not u)
print('heap %x-%x (%.1f MiB), top chunk %.1f MiB; resident pages %.1f MiB; resident pages with no in-use byte %.1f MiB; in-use %.1f MiB in %d chunks; free %.1f MiB in %d chunks' % (
    base, end, (end - base) / 2**20, topsize / 2**20, resident * PG / 2**20, empty_res * PG / 2**20, inuse_bytes / 2**20, sum(1 for c in chunks if c[2]), free_bytes / 2**20, sum(1 for c in chunks if not c[2])))
# in-use size histogram
hist = collections.Counter()
histb = collections.Counter()
for (a, s, u) in chunks:
    if u:
        b = 1 << (s - 1).bit_length()
        hist[b] += 1; histb[b] += s
print('in-use chunks by size class (<=): ' + ', '.join('%d: %d (%.0f KiB)' % (k, hist[k], histb[k] / 1024) for k in sorted(hist)))
# map of the heap in 1 MiB bands: resident MiB, in-use MiB
band = 2**20
out = []
for b0 in range(0, end - base, band):
    p0, p1 = b0 // PG, min(npages, (b0 + band) // PG)
    r = sum(res[p0:p1]) * PG / 2**20
    u = sum(used[p0:p1]) / 2**20
    out.append('%2d:%.2f/%.2f' % (b0 // band, r, u))
print('per MiB (resident/in-use): ' + ' '.join(out))
dump = os.environ.get('HEAPWALK_DUMP')
if dump:
    with open(dump, 'w') as f:
        json.dump({'base': base, 'end': end, 'chunks': chunks}, f)
