// Colours of the dashboard, in one place so a test can check them (test/units/palette.ts):
// task states that stay distinguishable with deuteranopia (memory vs erred was not), and a group
// palette handed out so the groups on screen never share a colour.

/**
 * Colours of the task states (Progress bars, legends). Okabe–Ito hues: every pair stays apart
 * for red–green colour blindness. `done` (finished, result let go) is a darker memory green.
 */
export const STATE_COLORS = {
  done: '#006d4f',
  memory: '#009e73',
  erred: '#d55e00',
  cancelled: '#cc79a7',
  processing: '#0072b2',
  queued: '#56b4e9',
  waiting: '#c4c9d1',
};

/**
 * The task graph's nodes, by state code (w q p m e r): filled with the state's colour, except
 * released ones (not held: never run, or the result was let go), drawn hollow (`null`: the panel
 * shows through). Every node has an outline in its theme's colour, at least 3:1 against the
 * panel (WCAG's contrast for graphics) in light and dark mode, so the pale fills (waiting,
 * released) do not vanish on a white panel; the fills tell the states apart.
 */
export const GRAPH_NODE = {
  fill: { w: STATE_COLORS.waiting, q: STATE_COLORS.queued, p: STATE_COLORS.processing, m: STATE_COLORS.memory, e: STATE_COLORS.erred, r: null },
  outline: { light: '#4d5462', dark: '#b0b8c6' },
};

/** Twelve group colours, pairwise far apart (CIE ΔE ≥ 25); no red: red marks transfers and errors. */
export const GROUP_PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac', '#1f3d7a', '#7b3294', '#e377c2'];

/**
 * Hands out group colours: a new group takes a colour no remembered group has; once all are
 * taken, the colour of the group asked for least recently. Groups drawn on screen ask on every
 * draw, so up to twelve visible groups never collide. O(1) per call except on a miss.
 */
export class GroupColors {
  constructor(palette = GROUP_PALETTE) {
    this.palette = palette;
    /** name → {color, used} */
    this.byName = new Map();
    this.clock = 0;
  }

  color(name) {
    const hit = this.byName.get(name);
    this.clock++;
    if (hit) {
      hit.used = this.clock;
      return hit.color;
    }
    let color;
    if (this.byName.size < this.palette.length) {
      const taken = new Set([...this.byName.values()].map((e) => e.color));
      color = this.palette.find((c) => !taken.has(c));
    } else {
      let oldest = null;
      for (const [n, e] of this.byName) if (!oldest || e.used < oldest[1].used) oldest = [n, e];
      this.byName.delete(oldest[0]);
      color = oldest[1].color;
    }
    this.byName.set(name, { color, used: this.clock });
    return color;
  }
}

const shared = new GroupColors();

/** The colour of a task group (or a histogram's group) on this page. */
export function groupColor(name) {
  return shared.color(name);
}
