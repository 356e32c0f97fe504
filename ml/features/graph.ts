import { asOfNumber, type CustomerHistory, dayEntries, recentDays } from './history.js';

function referrerOf(history: CustomerHistory): string | undefined {
  const referrer = history.profile?.referred_by;
  return typeof referrer === 'string' && referrer !== '' ? referrer : undefined;
}

function addNeighbours(history: CustomerHistory, asOf: number | undefined, into: Set<string>): void {
  if (asOf === undefined) {
    for (const [, day] of dayEntries(history)) for (const neighbour of day.neighbours) into.add(neighbour);
  } else {
    for (const { day } of recentDays(history, asOf))
      for (const neighbour of day.neighbours) into.add(neighbour);
  }
  const referrer = referrerOf(history);
  if (referrer !== undefined) into.add(referrer);
  into.delete(history.userId);
}

/**
 * The people a customer is linked to as of `asOf`: those they referred or shared a playlist
 * with on the days of the lookback window before `asOf`, plus the customer who referred them.
 * Sorted, without the customer themselves. The lookback applies here as everywhere, so the
 * online store (whose day items expire) and a snapshot agree.
 */
export function graphNeighbours(history: CustomerHistory, asOf: string): string[] {
  const neighbours = new Set<string>();
  addNeighbours(history, asOfNumber(asOf), neighbours);
  return [...neighbours].sort();
}

/** An undirected graph of customers: `nodes` sorted, each edge once as `[a, b]` with `a < b`, edges sorted. */
export interface CustomerGraph {
  readonly nodes: readonly string[];
  readonly edges: readonly (readonly [string, string])[];
}

/**
 * The customer graph for the GNN: an edge wherever either side names the other as a neighbour
 * (see `graphNeighbours`), in either direction, once. With `asOf`, point-in-time like the
 * features; without it, from every day the histories hold. Nodes are every customer of
 * `histories` and every neighbour they name, including people with no history of their own
 * (customers who have left, invitees), so the model can tell those apart. Deterministic: the
 * same histories give the same graph in any order.
 */
export function buildGraph(histories: Iterable<CustomerHistory>, asOf?: string): CustomerGraph {
  const cutoff = asOf === undefined ? undefined : asOfNumber(asOf);
  const nodes = new Set<string>();
  const edges = new Map<string, readonly [string, string]>();
  const neighbours = new Set<string>();
  for (const history of histories) {
    nodes.add(history.userId);
    neighbours.clear();
    addNeighbours(history, cutoff, neighbours);
    for (const neighbour of neighbours) {
      nodes.add(neighbour);
      const edge: readonly [string, string] =
        history.userId < neighbour ? [history.userId, neighbour] : [neighbour, history.userId];
      edges.set(`${edge[0]}\u0000${edge[1]}`, edge);
    }
  }
  const sortedEdges = [...edges.values()].sort((x, y) =>
    x[0] === y[0] ? (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0) : x[0] < y[0] ? -1 : 1,
  );
  return { nodes: [...nodes].sort(), edges: sortedEdges };
}
