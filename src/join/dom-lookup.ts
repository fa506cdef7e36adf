/** The join page's element lookups: a missing element is a markup bug, said at start-up rather than as a null later. */

export function byTestId<T extends HTMLElement>(doc: Document, id: string): T {
  const element = doc.querySelector<T>(`[data-testid="${id}"]`);
  if (!element) throw new Error(`join page markup is missing data-testid=${id}`);
  return element;
}

export function byId<T extends HTMLElement>(doc: Document, id: string): T {
  const element = doc.getElementById(id) as T | null;
  if (!element) throw new Error(`join page markup is missing #${id}`);
  return element;
}
