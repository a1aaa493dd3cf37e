/** One row of the fields editor. */
export interface FieldRow {
  name: string;
  value: string;
}

export function toRows(fields: { [key in string]: string } | undefined): FieldRow[] {
  return Object.entries(fields ?? {}).map(([name, value]) => ({ name, value }));
}

/**
 * What an edit of the rows asks for: the fields set (new or changed) and removed (`null`), or
 * `undefined` when nothing changed. Rows without a name are ignored; the vault checks names.
 */
export function fieldsChange(
  before: { [key in string]: string } | undefined,
  rows: FieldRow[],
): Record<string, string | null> | undefined {
  const old = before ?? {};
  const now = new Map(rows.filter((r) => r.name.trim() !== '').map((r) => [r.name.trim(), r.value]));
  const change: Record<string, string | null> = {};
  for (const [name, value] of now) if (old[name] !== value) change[name] = value;
  for (const name of Object.keys(old)) if (!now.has(name)) change[name] = null;
  return Object.keys(change).length === 0 ? undefined : change;
}
