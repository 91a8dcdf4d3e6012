/**
 * The social graph a diffusion population plays on: `--topology` specs, their generators and the
 * placement of seeded agents. Graphs are graphology graphs over nodes "0".."n-1", built from a
 * seed alone, so an episode's graph is the same on every run, resume and replay.
 */
import { UndirectedGraph } from "graphology";
import { InputError } from "../../core/errors.js";

/** A parsed `--topology` value. */
export type TopologySpec =
  | { kind: "complete" }
  | { kind: "ring"; k: number }
  | { kind: "watts-strogatz"; k: number; p: number }
  | { kind: "barabasi-albert"; m: number }
  | { kind: "erdos-renyi"; p: number }
  | { kind: "random-regular"; d: number }
  | { kind: "edgelist"; file: string; edges: readonly (readonly [number, number])[] };

/** Where seeded agents sit. */
export type SeededPlacement = "random" | "hubs" | "clustered" | "periphery";

/** `complete`, `ring:k=4`, ...; an InputError names `where` and the accepted forms. */
export function parseTopology(text: string, where: string): TopologySpec {
  if (text === "complete") return { kind: "complete" };
  throw new InputError(`${where}: unknown topology '${text}'; expected complete`);
}

/** The spec as `--topology` spells it (edge lists by their file), for records and keys. */
export function topologyText(spec: TopologySpec): string {
  if (spec.kind === "complete") return "complete";
  throw new Error(`topologyText: ${spec.kind} is not written yet`);
}

/** The undirected graph of `n` agents for the spec, drawn from `seed` alone. */
export function buildGraph(spec: TopologySpec, n: number, seed: number): UndirectedGraph {
  void seed;
  const graph = new UndirectedGraph({ multi: false, allowSelfLoops: false });
  for (let i = 0; i < n; i++) graph.addNode(String(i));
  if (spec.kind === "complete") {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) graph.addEdge(String(i), String(j));
    return graph;
  }
  throw new Error(`buildGraph: ${spec.kind} is not written yet`);
}

/** Each agent's neighbours, ascending: agent i's list is `neighbours[i]`. */
export function neighbourLists(graph: UndirectedGraph): number[][] {
  const lists: number[][] = Array.from({ length: graph.order }, () => []);
  graph.forEachEdge((_edge, _attributes, source, target) => {
    lists[Number(source)].push(Number(target));
    lists[Number(target)].push(Number(source));
  });
  for (const list of lists) list.sort((a, b) => a - b);
  return lists;
}

/** The `count` agents that are seeded, ascending, chosen by `placement` from `seed` alone. */
export function placeSeeded(graph: UndirectedGraph, count: number, placement: SeededPlacement, seed: number): number[] {
  void graph;
  void seed;
  if (placement === "random" && count === 0) return [];
  throw new Error(`placeSeeded: ${placement} is not written yet`);
}
