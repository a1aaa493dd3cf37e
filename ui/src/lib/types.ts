// Narrowings of the generated types (./bindings), never new declarations.
import type { Item } from './bindings/Item';

export type ApiKeyItem = Extract<Item, { kind: 'api_key' }>;
export type GrantItem = Extract<Item, { kind: 'grant' }>;
