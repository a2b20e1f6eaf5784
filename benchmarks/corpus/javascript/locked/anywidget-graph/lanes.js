// Pure helpers for linked lanes, incremental append, pulse and host theme.
// No DOM and no sigma here: index.js uses them, Node tests cover them (tests/js/lanes.test.mjs).

export const LANE_WIDTH = 1000;
export const LANE_HEIGHT = 1000;
export const LANE_GAP = 400;

/** The lane of a node: its own when it names one of the lanes, else the first lane. */
export function laneOf(node, lanes) {
  const ids = lanes.map((lane) => lane.id);
  return ids.includes(node.lane) ? node.lane : ids[0];
}

/** The band of lane number `index`, left to right with a gap. */
export function laneBand(index, { width = LANE_WIDTH, height = LANE_HEIGHT, gap = LANE_GAP } = {}) {
  const x0 = index * (width + gap);
  return { x0, x1: x0 + width, y0: 0, y1: height };
}

/** The bands of all lanes, left to right with a gap; a lane's `width` is its share of the standard width (default 1). */
export function laneBands(lanes, { width = LANE_WIDTH, height = LANE_HEIGHT, gap = LANE_GAP } = {}) {
  const bands = [];
  let x0 = 0;
  for (const lane of lanes) {
    const share = typeof lane.width === "number" && lane.width > 0 ? lane.width : 1;
    bands.push({ x0, x1: x0 + width * share, y0: 0, y1: height });
    x0 += width * share + gap;
  }
  return bands;
}

/** The part of a band nodes go in: a margin of `share` on every side, so none sits under the title or on the border. */
export function insetBand(band, share = 0.06) {
  const dx = (band.x1 - band.x0) * share, dy = (band.y1 - band.y0) * share;
  return { x0: band.x0 + dx, x1: band.x1 - dx, y0: band.y0 + dy, y1: band.y1 - dy };
}

/** The area the camera frames: every band (nodes or not) and a margin for titles and glyphs, plus room on the right. */
export function lanesBBox(bands, margin = 120, right = 0) {
  return {
    x: [Math.min(...bands.map((band) => band.x0)) - margin, Math.max(...bands.map((band) => band.x1)) + margin + right],
    y: [Math.min(...bands.map((band) => band.y0)) - margin, Math.max(...bands.map((band) => band.y1)) + margin],
  };
}

/** A column lane: its nodes stacked around the middle of the band, evenly spaced, in the given order. */
export function columnPositions(ids, band) {
  const height = band.y1 - band.y0;
  const spacing = ids.length > 1 ? Math.min(height / ids.length, height * 0.12) : 0;
  const cx = (band.x0 + band.x1) / 2, cy = (band.y0 + band.y1) / 2;
  const placed = {};
  ids.forEach((id, i) => {
    placed[id] = { x: cx, y: cy + (i - (ids.length - 1) / 2) * spacing };
  });
  return placed;
}

/**
 * A mapping of graph points into a width x height viewport that shows the box whole, centred (for an empty canvas).
 * Framed as sigma frames it, so nothing moves when the first node arrives: the smaller side less `padding` on each end
 * (sigma's stagePadding).
 */
export function fitBox(box, width, height, padding = 0) {
  const spanX = box.x[1] - box.x[0] || 1, spanY = box.y[1] - box.y[0] || 1;
  const scale = fitScale(box, width, height, padding);
  const offsetX = (width - spanX * scale) / 2, offsetY = (height - spanY * scale) / 2;
  // Sigma's y axis points up: a higher y is drawn higher on the screen
  return (point) => ({ x: offsetX + (point.x - box.x[0]) * scale, y: offsetY + (box.y[1] - point.y) * scale });
}

/** Pixels per graph unit when sigma frames the box whole in a width x height viewport (see fitBox). */
export function fitScale(box, width, height, padding = 0) {
  const spanX = box.x[1] - box.x[0] || 1, spanY = box.y[1] - box.y[0] || 1;
  const side = Math.min(width, height);
  const shrink = side > 0 ? Math.max(0, side - 2 * padding) / side : 0;
  return Math.min(width / spanX, height / spanY) * shrink;
}

/** Label spacing on screen, in pixels: one label line apart in a stack, one label width apart across columns. */
export const LABEL_ROW = 18;
export const LABEL_COLUMN = 120;

/**
 * What an action lane's button shows: the host's `icon` (SVG markup, where currentColor takes the accent, or an image
 * URL), stacked bars for `glyph` colours, else a neutral "open" icon. The widget has no domain icon of its own.
 */
export function laneIcon(lane, accent) {
  const icon = typeof lane.icon === "string" ? lane.icon.trim() : "";
  if (icon.startsWith("<svg")) {
    return { kind: "image", src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(icon.replaceAll("currentColor", accent))}` };
  }
  if (icon) return { kind: "image", src: icon };
  if (Array.isArray(lane.glyph) && lane.glyph.length) return { kind: "bars", colors: lane.glyph };
  return { kind: "open" };
}

/** Whether a viewport point falls on an action lane's glyph (a square of `half` pixels around its centre). */
export function glyphHit(point, center, half = 24) {
  return Math.abs(point.x - center.x) <= half && Math.abs(point.y - center.y) <= half;
}

/** Positions scaled into a band; a single node sits in the middle. */
export function fitToBand(positions, band) {
  const ids = Object.keys(positions);
  if (!ids.length) return {};
  const xs = ids.map((id) => positions[id].x);
  const ys = ids.map((id) => positions[id].y);
  const minX = Math.min(...xs), minY = Math.min(...ys);
  const spanX = Math.max(...xs) - minX || 1, spanY = Math.max(...ys) - minY || 1;
  const width = band.x1 - band.x0, height = band.y1 - band.y0;
  const placed = {};
  for (const id of ids) {
    placed[id] = ids.length === 1
      ? { x: band.x0 + width / 2, y: band.y0 + height / 2 }
      : { x: band.x0 + ((positions[id].x - minX) / spanX) * width, y: band.y0 + ((positions[id].y - minY) / spanY) * height };
  }
  return placed;
}

/** True when an edge joins two lanes: marked `cross`, or its ends sit in different known lanes. */
export function isCrossEdge(edge, laneById) {
  if (edge.cross) return true;
  const a = laneById.get(edge.source), b = laneById.get(edge.target);
  return a !== undefined && b !== undefined && a !== b;
}

/** The partners in other lanes of the given nodes, through the cross-lane links either way (for a search). */
export function crossNeighbours(ids, cross) {
  const partners = new Set();
  for (const edge of cross) {
    if (ids.has(edge.source)) partners.add(edge.target);
    if (ids.has(edge.target)) partners.add(edge.source);
  }
  return partners;
}

/** The identity of a cross-lane edge. */
export function crossKey(edge) {
  return `${edge.source}|${edge.target}`;
}

/**
 * A stable number in [0, 1) for a text (FNV-1a), for deterministic placement. The final mix (murmur3's fmix32)
 * spreads ids that differ only at the end (y1, y2, ...), which FNV alone maps to nearly the same number.
 */
export function hashUnit(text) {
  return hash32(text) / 4294967296;
}

function hash32(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A random source in [0, 1) seeded by a text (mulberry32), so a lane's force layout gives the same picture again. */
export function seededRandom(seed) {
  let state = hash32(String(seed));
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Keeps a simulated node inside its band (a lane stays its own graph): a node over an edge stops at it. */
export function clampInto(node, band) {
  if (node.x < band.x0 || node.x > band.x1) {
    node.x = clamp(node.x, band.x0, band.x1);
    if ("vx" in node) node.vx = 0;
  }
  if (node.y < band.y0 || node.y > band.y1) {
    node.y = clamp(node.y, band.y0, band.y1);
    if ("vy" in node) node.vy = 0;
  }
  return node;
}

/** The mean height of each node's cross-lane partners among the nodes already placed (lanes laid out before it). */
export function partnerHeights(ids, cross, placed) {
  const wanted = new Set(ids), sums = new Map();
  for (const edge of cross) {
    for (const [own, other] of [[edge.source, edge.target], [edge.target, edge.source]]) {
      if (!wanted.has(own) || !placed.has(other)) continue;
      const [sum, count] = sums.get(own) || [0, 0];
      sums.set(own, [sum + placed.get(other).y, count + 1]);
    }
  }
  return new Map(ids.filter((id) => sums.has(id)).map((id) => [id, sums.get(id)[0] / sums.get(id)[1]]));
}

/** A lane's natural spacing: the side of the square each node would get if its nodes shared the band evenly. */
export function laneSpacing(count, band) {
  const area = (band.x1 - band.x0) * (band.y1 - band.y0);
  return Math.sqrt(area / Math.max(1, count));
}

/**
 * How much smaller a lane draws its nodes (1 = as styled) so their discs take at most `share` of its area: a crowded
 * lane would otherwise be a packed box with no room for the layout. Sizes are radii in pixels, the band in graph units.
 */
export function laneSizeScale(sizes, band, pxPerUnit, share = 0.35) {
  const discs = sizes.reduce((sum, size) => sum + Math.PI * size * size, 0);
  const area = (band.x1 - band.x0) * (band.y1 - band.y0) * pxPerUnit * pxPerUnit;
  return discs > 0 ? Math.min(1, Math.sqrt((share * area) / discs)) : 1;
}

/** A node's row in a lane with rows ({field, order}): the index of its field's value, else the extra row after them. */
export function rowOf(node, rows) {
  const index = rows.order.indexOf(node[rows.field]);
  return index >= 0 ? index : rows.order.length;
}

/**
 * A band split into rows top to bottom on screen, one per value in `order` plus an extra (unlabelled) row when `counts` has
 * nodes for it. Row heights follow the counts, each at least `minShare` of the band (equal when nothing is counted).
 * Each row's `band` is inset from its top and bottom, so nodes keep away from the separators.
 */
export function rowBands(band, order, counts, minShare = 0.12, inset = 0.1, nameRoom = 0) {
  const used = counts[order.length] > 0 ? order.length + 1 : order.length;
  const least = Math.min(minShare, 1 / used);
  // A row under the minimum gets the minimum; the others share the rest by count (repeated until none is under it)
  const shares = new Array(used).fill(1 / used);
  const fixed = new Set();
  for (let changed = true; changed; ) {
    changed = false;
    const rest = 1 - fixed.size * least;
    const free = [...shares.keys()].filter((i) => !fixed.has(i));
    const counted = free.reduce((sum, i) => sum + (counts[i] || 0), 0);
    for (const i of free) shares[i] = counted ? (rest * (counts[i] || 0)) / counted : rest / free.length;
    for (const i of free) {
      if (shares[i] < least - 1e-12) {
        shares[i] = least;
        fixed.add(i);
        changed = true;
      }
    }
  }
  const sum = shares.reduce((a, b) => a + b, 0);
  const height = band.y1 - band.y0;
  // In screen order: sigma's y axis points up, so the first row takes the highest y
  let y1 = band.y1;
  return shares.map((share, i) => {
    const y0 = i === used - 1 ? band.y0 : y1 - (height * share) / sum;
    const pad = (y1 - y0) * inset;
    // The row's top (its highest y) keeps room for its name, so no node sits under it (at most 60% of the row)
    const top = Math.min(Math.max(pad, nameRoom), (y1 - y0) * 0.6);
    const row = { label: i < order.length ? String(order[i]) : "", y0, y1, band: { x0: band.x0, x1: band.x1, y0: y0 + pad, y1: y1 - top } };
    y1 = y0;
    return row;
  });
}

/** Whether a batch removes or adds more than `share` of a lane's nodes (or fills an empty lane): a whole new layout. */
export function bigBatch(before, removed, added, share = 1 / 3) {
  if (!removed && !added) return false;
  return before === 0 || removed > before * share || added > before * share;
}

/** An item's colour: its own `color`, else its type's colour from the host (type_colors), else the palette's. */
export function colorFor(item, type, typeColors, fallback) {
  return item.color || typeColors?.[type] || fallback;
}

/**
 * The labels to show for up to `count` nodes, largest first (by size, then degree). A label box is its text `width`
 * by `height`, `gap` from its node's disc (radius `size`) on the right, or on the left when it would cross the
 * band's right edge. A label may cover nodes smaller than its own (a hub's label over leaves), but not the inner half
 * of a node as large or larger, not a node already labelled, and not (by `margin`) another label; a node under a
 * label already chosen gets none. Nor may it cover `taken` space (boxes such as a row's name). Returns [{id, side}].
 */
export function labelsThatFit(nodes, count, { height, gap = 0, margin = 0, band, taken = [] } = {}) {
  const ranked = [...nodes].sort((a, b) => (b.size || 0) - (a.size || 0) || (b.degree || 0) - (a.degree || 0));
  const boxOf = (node, side) => {
    const y0 = node.y - height / 2, y1 = node.y + height / 2;
    if (side === "right") {
      const x0 = node.x + (node.size || 0) + gap;
      return { x0, x1: x0 + node.width, y0, y1 };
    }
    const x1 = node.x - (node.size || 0) - gap;
    return { x0: x1 - node.width, x1, y0, y1 };
  };
  const overlap = (a, b) => a.x0 < b.x1 + margin && b.x0 < a.x1 + margin && a.y0 < b.y1 + margin && b.y0 < a.y1 + margin;
  const coversDisc = (box, other) => {
    const dx = Math.max(box.x0 - other.x, 0, other.x - box.x1), dy = Math.max(box.y0 - other.y, 0, other.y - box.y1);
    return Math.hypot(dx, dy) < (other.size || 0) * 0.5;
  };
  const chosenIds = new Set();
  const chosen = [];
  for (const node of ranked) {
    if (chosen.length >= count) break;
    let side = "right", box = boxOf(node, "right");
    if (band && box.x1 > band.x1) {
      side = "left";
      box = boxOf(node, "left");
      if (box.x0 < band.x0) continue;
    }
    if (taken.some((space) => overlap(box, space))) continue;
    if (chosen.some((other) => overlap(box, other.box) || coversDisc(other.box, node))) continue;
    const blocked = (other) => other.id !== node.id && ((other.size || 0) >= (node.size || 0) || chosenIds.has(other.id)) && coversDisc(box, other);
    if (nodes.some(blocked)) continue;
    chosen.push({ id: node.id, side, box });
    chosenIds.add(node.id);
  }
  return chosen.map(({ id, side }) => ({ id, side }));
}

/** A label cut to `maxWidth` (as `measure` gives widths) with an ellipsis; one that fits stays as it is. */
export function shortenLabel(text, maxWidth, measure) {
  if (!text || measure(text) <= maxWidth) return text;
  let cut = text;
  while (cut && measure(cut + "\u2026") > maxWidth) cut = cut.slice(0, -1);
  return cut.trimEnd() + "\u2026";
}

/** Whether a label box (unit.x wide, unit.y high) at `spot` is clear of every occupied one. */
export function labelClear(spot, occupied, unit) {
  return occupied.every((o) => Math.abs(o.x - spot.x) >= unit.x * 0.999 || Math.abs(o.y - spot.y) >= unit.y * 0.999);
}

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

/**
 * Where an appended node goes. With neighbours in other lanes (an element's source nodes): at their mean height,
 * in the middle of its band, so its links run nearly horizontal. Else next to its lane neighbours. Else at a stable
 * spot of the band derived from its id. When its label would cover an `occupied` node's label (`unit`: one label
 * width across, one label line down, in graph units), it takes the nearest free row or column instead. A band with no
 * room left gives the spot itself, marked `crowded`.
 */
export function placeAppended(nodeId, { cross = [], lane = [], occupied = [], unit }, band) {
  const width = band.x1 - band.x0, height = band.y1 - band.y0;
  let spot;
  if (cross.length) {
    // In the middle of the band at their height: nodes of the same neighbours stack there as rows
    const y = cross.reduce((sum, p) => sum + p.y, 0) / cross.length;
    spot = { x: band.x0 + width / 2, y: clamp(y, band.y0, band.y1) };
  } else if (lane.length) {
    const cx = lane.reduce((sum, p) => sum + p.x, 0) / lane.length;
    const cy = lane.reduce((sum, p) => sum + p.y, 0) / lane.length;
    const angle = 2 * Math.PI * hashUnit(nodeId + "a");
    spot = { x: clamp(cx + Math.cos(angle) * width * 0.04, band.x0, band.x1), y: clamp(cy + Math.sin(angle) * height * 0.04, band.y0, band.y1) };
  } else {
    spot = { x: band.x0 + width * hashUnit(nodeId + "x"), y: band.y0 + height * hashUnit(nodeId + "y") };
  }
  return freeSpot(spot, occupied, band, unit || { x: width * 0.04, y: height * 0.04 });
}

/**
 * The first spot whose label box (unit.x wide, unit.y high) is clear of every occupied one: `spot` itself, else the
 * rows above and below it, then the next columns (a column costs three rows; on a tie the column goes first), inside
 * the band. The occupied spots are bucketed by label box, so each try looks at its nine neighbouring buckets only.
 */
function freeSpot(spot, occupied, band, unit) {
  const cell = (p) => [Math.floor(p.x / unit.x), Math.floor(p.y / unit.y)];
  const buckets = new Map();
  for (const o of occupied) {
    const key = cell(o).join(",");
    if (!buckets.has(key)) buckets.set(key, []);
    buckets.get(key).push(o);
  }
  const clear = (p) => {
    const [cx, cy] = cell(p);
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (const o of buckets.get(`${cx + dx},${cy + dy}`) || []) {
          // A hair under one unit still counts as a full row or column (rows are sums of fractional units)
          if (Math.abs(o.x - p.x) < unit.x * 0.999 && Math.abs(o.y - p.y) < unit.y * 0.999) return false;
        }
      }
    }
    return true;
  };
  if (clear(spot)) return spot;
  const rows = Math.ceil((band.y1 - band.y0) / unit.y), columns = Math.ceil((band.x1 - band.x0) / unit.x);
  for (let cost = 1; cost <= rows + 3 * columns; cost++) {
    for (let col = Math.floor(cost / 3); col >= 0; col--) {
      const row = cost - 3 * col;
      for (const j of col ? [col, -col] : [0]) {
        for (const i of row ? [row, -row] : [0]) {
          const p = { x: spot.x + j * unit.x, y: spot.y + i * unit.y };
          if (p.x < band.x0 || p.x > band.x1 || p.y < band.y0 || p.y > band.y1) continue;
          if (clear(p)) return p;
        }
      }
    }
  }
  // No room left: the spot itself, marked so its label is left to sigma's culling
  return { ...spot, crowded: true };
}

/** Control point of a soft curve from a to b (bows to one side by a share of the distance). */
export function curveControl(a, b, bend = 0.18) {
  return { x: (a.x + b.x) / 2 - (b.y - a.y) * bend, y: (a.y + b.y) / 2 + (b.x - a.x) * bend };
}

/** Point at t on the quadratic curve a, c, b. */
export function curvePoint(a, c, b, t) {
  const u = 1 - t;
  return { x: u * u * a.x + 2 * u * t * c.x + t * t * b.x, y: u * u * a.y + 2 * u * t * c.y + t * t * b.y };
}

/** The first part of the curve, up to t, as its own quadratic (control and end; de Casteljau split). */
export function curveUntil(a, c, b, t) {
  return { control: { x: a.x + (c.x - a.x) * t, y: a.y + (c.y - a.y) * t }, end: curvePoint(a, c, b, t) };
}

/** Start offsets (ms) for the n items of a batch, `stagger` apart, the whole batch under `maxTotal`. */
export function staggerSchedule(n, stagger, maxTotal = 1500) {
  if (n <= 0) return [];
  const step = n > 1 ? Math.min(stagger, maxTotal / (n - 1)) : 0;
  return Array.from({ length: n }, (_, i) => Math.round(i * step));
}

/** Eased progress (ease-out cubic) of an animation that starts at `start` and lasts `duration`, at `now`. */
export function progress(start, now, duration) {
  const t = Math.min(1, Math.max(0, (now - start) / duration));
  return 1 - Math.pow(1 - t, 3);
}

/** Size factor of a pulsing node at time t (ms): a soft breath between 1 and 1 + amplitude. */
export function pulseScale(t, period = 1400, amplitude = 0.35) {
  return 1 + amplitude * (0.5 - 0.5 * Math.cos((2 * Math.PI * t) / period));
}

const THEME_VARIABLES = {
  background: ["--awg-bg", "--awg-graph-bg", "--awg-input-bg"],
  panel: ["--awg-bg-secondary", "--awg-bg-tertiary"],
  text: ["--awg-text"],
  muted: ["--awg-text-secondary", "--awg-text-muted"],
  border: ["--awg-border", "--awg-input-border"],
  accent: ["--awg-accent", "--awg-accent-hover"],
};

/**
 * The widget's CSS variables for a host theme ({background, panel, text, muted, border, accent}). A key the theme
 * leaves out maps to "", which removes the variable, so the widget's light or dark colour shows again.
 */
export function themeVariables(theme) {
  const variables = {};
  for (const [key, names] of Object.entries(THEME_VARIABLES)) {
    const value = theme?.[key];
    for (const name of names) variables[name] = typeof value === "string" ? value : "";
  }
  return variables;
}

/** The label colour: the host theme's text colour, else the light or dark default. */
export function labelColor(theme, dark) {
  return theme?.text || (dark ? "#e0e0e0" : "#333");
}

/** The next lane_action for a click on a lane's glyph; it counts on from the model's value, which every view shares. */
export function nextLaneAction(lane, current) {
  return { lane, seq: (Number(current?.seq) || 0) + 1 };
}

/** The identity of an edge among the drawn data: its ends and its label. */
export function edgeKey(edge) {
  return `${edge.source}|${edge.target}|${edge.label || ""}`;
}

/**
 * The drawn data with nodes and edges merged in: a node by id (its properties updated), an edge once per ends and
 * label. Without `items`, the host's lists as they are (parallel edges kept). Returns new data; `items` is unchanged.
 */
export function mergeItems(items, nodes = [], edges = []) {
  const merged = { nodes: new Map(items?.nodes), edges: [...(items?.edges || [])] };
  for (const node of nodes) merged.nodes.set(node.id, { ...merged.nodes.get(node.id), ...node });
  if (!items) {
    merged.edges.push(...edges);
    return merged;
  }
  const keys = new Set(merged.edges.map(edgeKey));
  for (const edge of edges) {
    if (keys.has(edgeKey(edge))) continue;
    keys.add(edgeKey(edge));
    merged.edges.push(edge);
  }
  return merged;
}

/** Whether an edge is the one a removal names: the same ends, and the same label when the removal gives one. */
export function edgeMatches(edge, spec) {
  if (edge.source !== spec.source || edge.target !== spec.target) return false;
  return spec.label === undefined || spec.label === null || (edge.label || "") === spec.label;
}

/** The drawn data without the given nodes (and every edge touching them) and edges. Returns new data. */
export function removeItems(items, remove = {}) {
  const ids = new Set(remove.nodes || []);
  const specs = remove.edges || [];
  const gone = (edge) => ids.has(edge.source) || ids.has(edge.target) || specs.some((spec) => edgeMatches(edge, spec));
  return { nodes: new Map([...items.nodes].filter(([id]) => !ids.has(id))), edges: items.edges.filter((edge) => !gone(edge)) };
}

/** The drawn data after a batch: its removals first, then its nodes and edges merged in. */
export function applyBatchItems(items, batch) {
  return mergeItems(removeItems(items, batch.remove), batch.nodes || [], batch.edges || []);
}

/** Whether the host's lists hold exactly the drawn items (the same node ids, the same edges): a copy, not new data. */
export function sameItems(items, nodes, edges) {
  const ids = new Set(nodes.map((node) => node.id));
  if (ids.size !== items.nodes.size || [...ids].some((id) => !items.nodes.has(id))) return false;
  if (edges.length !== items.edges.length) return false;
  const counts = new Map();
  for (const edge of items.edges) counts.set(edgeKey(edge), (counts.get(edgeKey(edge)) || 0) + 1);
  for (const edge of edges) {
    const left = counts.get(edgeKey(edge));
    if (!left) return false;
    counts.set(edgeKey(edge), left - 1);
  }
  return true;
}

/**
 * The area the drawn nodes cover, as a band to place appended nodes in when there are no lanes (so sigma's camera
 * keeps its scale). A flat or single-node graph gets an area as high as it is wide (or LANE_WIDTH around it).
 */
export function extentBand(points) {
  if (!points.length) return null;
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  let x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  const size = Math.max(x1 - x0, y1 - y0) || LANE_WIDTH;
  if (x1 - x0 < size / 1e6) [x0, x1] = [(x0 + x1 - size) / 2, (x0 + x1 + size) / 2];
  if (y1 - y0 < size / 1e6) [y0, y1] = [(y0 + y1 - size) / 2, (y0 + y1 + size) / 2];
  return { x0, x1, y0, y1 };
}

/**
 * Type counts (Map of type to count in the drawn data) with the host's totals ({"<type>": n}): sorted by count, a
 * type with a total gets it, and a type the host lists that the drawn data lacks shows with count 0. The host
 * supplies totals (it may hold far more than it sends); the widget never makes them up.
 */
export function withTotals(counts, totals) {
  const rows = [...counts].sort((a, b) => b[1] - a[1]).map(([name, count]) => (totals && name in totals ? { name, count, total: totals[name] } : { name, count }));
  if (totals) {
    for (const [name, total] of Object.entries(totals)) if (!counts.has(name)) rows.push({ name, count: 0, total });
  }
  return rows;
}

/** "shown / total" (with thousands separators), or the count alone without a total. */
export function shownOf(count, total) {
  if (total === undefined || total === null) return String(count);
  return `${Number(count).toLocaleString("en-US")} / ${Number(total).toLocaleString("en-US")}`;
}

/** A node's type as the schema panel groups it: its first label, else its label, else "Unlabeled". */
export function nodeType(node) {
  return node.labels && node.labels.length > 0 ? node.labels[0] : node.label || "Unlabeled";
}

/** An edge's type as the schema panel groups it: its type, else its label, else "unknown". */
export function edgeType(edge) {
  return edge.type || edge.label || "unknown";
}

/**
 * The total behind the shown items: the host's per-type totals, plus the shown items of a type it gives no total
 * for (a type the host shows in full). Undefined when the host gives no totals.
 */
export function totalShown(items, typeOf, group) {
  const totals = Object.entries(group || {}).filter(([, n]) => Number.isFinite(Number(n)));
  if (!totals.length) return undefined;
  const listed = new Set(totals.map(([type]) => type));
  return totals.reduce((sum, [, n]) => sum + Number(n), 0) + items.filter((item) => !listed.has(typeOf(item))).length;
}

/** A #rrggbb colour with an alpha, as rgba(); anything else unchanged. */
export function withAlpha(hex, alpha) {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
  if (!match) return hex;
  const [r, g, b] = match.slice(1).map((part) => parseInt(part, 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

// A node and every node it shares an edge with (either direction); empty without a node
export function neighbourhood(edges, id) {
  if (id === null || id === undefined) return new Set();
  const near = new Set([id]);
  for (const edge of edges) {
    if (edge.source === id) near.add(edge.target);
    if (edge.target === id) near.add(edge.source);
  }
  return near;
}

// The circle a self-loop is drawn as (viewport pixels): over the node's upper right edge, each further loop of the
// node a little wider, so they nest instead of overlapping
export function loopCircle(center, radius, index) {
  const r = Math.max(7, radius * 0.7) + index * 5;
  const reach = (radius + r * 0.4) * Math.SQRT1_2;
  return { x: center.x + reach, y: center.y - reach, r };
}

// The `preset` layout: the positions the nodes bring (numeric x and y); the others keep theirs
export function presetPositions(nodes) {
  const positions = new Map();
  for (const node of nodes) {
    if (typeof node.x === "number" && typeof node.y === "number" && Number.isFinite(node.x) && Number.isFinite(node.y)) {
      positions.set(node.id, { x: node.x, y: node.y });
    }
  }
  return positions;
}

// A colour as [r, g, b]: #rrggbb (an #rrggbbaa's alpha is dropped) or rgb()/rgba(); null for anything else
function rgbOf(color) {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})?$/i.exec(color || "");
  if (hex) return hex.slice(1, 4).map((part) => parseInt(part, 16));
  const rgb = /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)/i.exec(color || "");
  return rgb ? rgb.slice(1, 4).map(Number) : null;
}

// A dimmed node or edge (an active selection): its colour mixed most of the way towards the canvas, opaque. Sigma's
// blending does not treat a colour's alpha as transparency (a translucent colour stays bright on a dark canvas and
// all but vanishes on a light one), so an opaque mix is what reads the same on both.
const DIM_MIX = 0.65;
export function dimColor(color, background) {
  const [from, to] = [rgbOf(color), rgbOf(background)];
  if (!from || !to) return color;
  return `#${from.map((v, i) => Math.round(v + (to[i] - v) * DIM_MIX).toString(16).padStart(2, "0")).join("")}`;
}
