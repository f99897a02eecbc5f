import { dirname, join, normalize } from "node:path";
import { filesUnder, read } from "./_files.ts";

/** Source without comments, so JSDoc examples do not count as imports. */
export function code(file: string): string {
  return read(file).replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/** The relative imports of a file (type imports and re-exports included), as root-relative paths. */
export function relativeImports(file: string): string[] {
  const text = code(file);
  const targets = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+["'](\.[^"']+)["']/g),
    ...text.matchAll(/\bimport\(\s*["'](\.[^"']+)["']\s*\)/g),
  ].map((m) => normalize(join(dirname(file), m[1]!)));
  return [...new Set(targets)];
}

/** The import graph of the source files under `dir` (tests left out). */
export function importGraph(dir: string): Map<string, string[]> {
  const files = filesUnder(dir, (name) => name.endsWith(".ts") && !name.endsWith("_test.ts"))
    .filter((file) => !file.includes("/tests/"));
  const known = new Set(files);
  return new Map(files.map((file) => [file, relativeImports(file).filter((t) => known.has(t))]));
}

/** The import circles of a graph: its strongly connected components of more than one file, or a self-import. */
export function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indexes = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indexes.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indexes.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indexes.get(next)!));
      }
    }
    if (low.get(node) === indexes.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indexes.has(node)) visit(node);
  return found;
}

/** Whether `from` reaches `to` through imports. */
export function reaches(graph: Map<string, string[]>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (file === to) return true;
    if (seen.has(file)) continue;
    seen.add(file);
    todo.push(...(graph.get(file) ?? []));
  }
  return false;
}
