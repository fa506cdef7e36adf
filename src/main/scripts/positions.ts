/**
 * Maps a field path (`['steps', 2, 'lines', 'zh']`) to a line and column of the YAML source: the key of the
 * deepest part of the path that exists. A missing field so points at the key of the mapping it is missing from,
 * an unknown key or a wrong value at its own key, a list item at its `-` entry.
 */
import { isMap, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';

export interface Position {
  line: number;
  column: number;
}

const keyOf = (pair: Pair) => {
  const key = pair.key as { value?: unknown } | null;
  return key !== null && typeof key === 'object' && 'value' in key ? String(key.value) : String(key);
};

const startOf = (n: unknown): number | null => {
  const range = (n as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : null;
};

export function locate(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): Position | null {
  let node: unknown = doc.contents;
  let offset: number | null = startOf(node);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyOf(p) === String(seg));
      if (!pair) break;
      offset = startOf(pair.key) ?? startOf(pair.value) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = (node.items as Node[])[seg];
      if (item === undefined) break;
      offset = startOf(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  if (offset === null) return null;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

export function positionOf(lineCounter: LineCounter, offset: number | null): Position | null {
  if (offset === null) return null;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}
