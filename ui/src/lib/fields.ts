/**
 * One row of the fields editor. A secret row's value is what the user typed: the stored value
 * never comes to the window for editing, so an empty secret row that was `stored` keeps it.
 */
export interface FieldRow {
  name: string;
  value: string;
  secret?: boolean;
  /** A secret field the item already has (its value left empty means "unchanged"). */
  stored?: boolean;
}

export function toRows(fields: { [key in string]: string } | undefined, secretNames: string[] = []): FieldRow[] {
  return [
    ...Object.entries(fields ?? {}).map(([name, value]) => ({ name, value })),
    ...secretNames.map((name) => ({ name, value: '', secret: true, stored: true })),
  ];
}

/** What an edit of the rows asks for: plain fields set or removed, and secret fields set. */
export interface FieldsChange {
  /** Set (new or changed) and removed (`null`) fields of either kind; `undefined`: none. */
  fields: Record<string, string | null> | undefined;
  /** Secret fields to set (a change of one is a new version of the item). */
  secrets: Record<string, string>;
}

/**
 * The change from the fields as they were (`before` plain, `secretBefore` by name) to the rows.
 * Rows without a name are ignored; the vault checks names. A plain row named like a secret
 * field makes it plain, a secret row named like a plain field makes it secret.
 */
export function fieldsChange(
  before: { [key in string]: string } | undefined,
  rows: FieldRow[],
  secretBefore: string[] = [],
): FieldsChange {
  const old = before ?? {};
  const named = rows.filter((r) => r.name.trim() !== '');
  const plain = new Map(named.filter((r) => !r.secret).map((r) => [r.name.trim(), r.value]));
  const secret = named.filter((r) => r.secret);
  const change: Record<string, string | null> = {};
  for (const [name, value] of plain) if (old[name] !== value) change[name] = value;
  const kept = new Set(named.map((r) => r.name.trim()));
  for (const name of [...Object.keys(old), ...secretBefore]) if (!kept.has(name)) change[name] = null;
  const secrets: Record<string, string> = {};
  for (const r of secret) if (r.value !== '') secrets[r.name.trim()] = r.value;
  return { fields: Object.keys(change).length === 0 ? undefined : change, secrets };
}
