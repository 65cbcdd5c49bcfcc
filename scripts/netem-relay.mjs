#!/usr/bin/env node
// A slow, lossy cable in user space, for machines whose kernel has no `tc netem` (sch_netem).
// scripts/netns.sh runs it inside a relay namespace that sits between a host and the bridge: the
// host's eth0 and its port on the bridge are VXLAN devices (Ethernet frames in UDP, the kernel's
// own), both pointed at this relay, which forwards every datagram to the other side after
// DELAY_MS (± JITTER_MS, uniform, as netem's `delay 20ms 5ms`: frames then overtake each other,
// as they do under netem) and drops each one with probability LOSS_PERCENT/100 (seeded
// generators, so a run is repeatable). Everything above the frames (ARP, IP, TCP's
// retransmissions) is the kernel's real network stack dealing with a real delayed, lossy link.
//
//   node netem-relay.mjs A_LOCAL A_PEER B_LOCAL B_PEER DELAY_MS LOSS_PERCENT STATS_FILE [JITTER_MS]
//
// Frames from A_PEER arriving on A_LOCAL:4789 leave from B_LOCAL:4789 to B_PEER:4789, and back.
// STATS_FILE gets {forwarded, dropped, largest, delayMs, jitterMs, lossPercent, minDelayMs,
// maxDelayMs} as JSON twice a second (the last two: the shortest and longest delay given to a
// frame so far, null before the first); the
// process runs until killed (netns.sh `down` kills every process in the lab's namespaces).
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';

const VXLAN_PORT = 4789;
const [aLocal, aPeer, bLocal, bPeer, delayArg, lossArg, statsFile, jitterArg = '0'] = process.argv.slice(2);
const delayMs = Number(delayArg);
const lossPercent = Number(lossArg);
const jitterMs = Number(jitterArg);
if (!statsFile || !(delayMs >= 0 && delayMs <= 10_000) || !(lossPercent >= 0 && lossPercent <= 100) || !(jitterMs >= 0 && jitterMs <= 10_000)) {
  process.stderr.write(`netem-relay: usage: A_LOCAL A_PEER B_LOCAL B_PEER DELAY_MS(0-10000) LOSS_PERCENT(0-100) STATS_FILE [JITTER_MS(0-10000)]; got ${process.argv.slice(2).join(' ')}\n`);
  process.exit(2);
}

// mulberry32: small, seeded, good enough to pick which frames are lost and how late each is.
function generator(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
// Two streams, so a jitter leaves the same frames lost as the same loss without one.
const random = generator(0x6c75_6f6e);
const jitterRandom = generator(0x6a69_7474);

/** A frame's delay: DELAY_MS ± JITTER_MS, uniform, never below 0 (netem clamps likewise). */
function frameDelay() {
  if (jitterMs === 0) return delayMs;
  return Math.max(0, delayMs + (jitterRandom() * 2 - 1) * jitterMs);
}

/**
 * Fills in the TCP or UDP checksum of the IPv4 packet inside a VXLAN datagram. The kernel leaves
 * it for the network card to compute (checksum offload) when the packet's path is all virtual
 * devices; carried through user space, it would arrive unfinished and be dropped. A router that
 * rewrites packets does the same.
 */
function fillChecksum(d) {
  let eth = 8; // VXLAN header
  let type = d.length >= eth + 14 ? d.readUInt16BE(eth + 12) : 0;
  let ip = eth + 14;
  if (type === 0x8100 && d.length >= ip + 4) { type = d.readUInt16BE(ip + 2); ip += 4; }
  if (type !== 0x0800 || d.length < ip + 20) return;
  const ihl = (d[ip] & 0x0f) * 4;
  const total = d.readUInt16BE(ip + 2);
  const proto = d[ip + 9];
  // Fragments carry no whole L4 segment to sum; Gluon's traffic through here has none.
  if ((d.readUInt16BE(ip + 6) & 0x3fff) !== 0 || (proto !== 6 && proto !== 17)) return;
  const l4 = ip + ihl;
  const end = ip + total;
  if (end > d.length || l4 + (proto === 6 ? 20 : 8) > end) return;
  const at = l4 + (proto === 6 ? 16 : 6);
  d.writeUInt16BE(0, at);
  let sum = proto + (end - l4);
  for (let i = ip + 12; i < ip + 20; i += 2) sum += d.readUInt16BE(i); // source and destination
  let i = l4;
  for (; i + 1 < end; i += 2) sum += (d[i] << 8) | d[i + 1];
  if (i < end) sum += d[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  let c = ~sum & 0xffff;
  if (c === 0 && proto === 17) c = 0xffff;
  d.writeUInt16BE(c, at);
}

const stats = { forwarded: 0, dropped: 0, largest: 0, delayMs, jitterMs, lossPercent, minDelayMs: null, maxDelayMs: null };
const a = createSocket('udp4');
const b = createSocket('udp4');

/** Datagrams arriving on `from` leave through `to` for `peer`, late or never. */
function pipe(from, to, peer) {
  from.on('message', (frame) => {
    if (frame.length > stats.largest) stats.largest = frame.length;
    if (random() * 100 < lossPercent) {
      stats.dropped++;
      return;
    }
    stats.forwarded++;
    fillChecksum(frame);
    const send = () => to.send(frame, VXLAN_PORT, peer);
    // Equal delays fire in arrival order: without jitter the link reorders nothing, as netem's
    // plain delay.
    const ms = frameDelay();
    if (stats.minDelayMs === null || ms < stats.minDelayMs) stats.minDelayMs = ms;
    if (stats.maxDelayMs === null || ms > stats.maxDelayMs) stats.maxDelayMs = ms;
    if (ms > 0) setTimeout(send, ms);
    else send();
  });
  from.on('error', (err) => {
    process.stderr.write(`netem-relay: ${err.message}\n`);
    process.exit(1);
  });
}
pipe(a, b, bPeer);
pipe(b, a, aPeer);
const writeStats = () => writeFileSync(statsFile, `${JSON.stringify(stats)}\n`);
// The stats file appears once both sides listen: netns.sh waits for it before going on.
let bound = 0;
const onBound = () => {
  if (++bound < 2) return;
  writeStats();
  setInterval(writeStats, 500);
};
a.bind(VXLAN_PORT, aLocal, onBound);
b.bind(VXLAN_PORT, bLocal, onBound);
