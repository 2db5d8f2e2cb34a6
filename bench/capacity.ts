/**
 * DynamoDB's on-demand billing rules, applied to items in their wire form (AttributeValue JSON), for the
 * counting proxy. The local servers return no or incomplete ConsumedCapacity (dynalite leaves out index
 * writes, refused conditional writes and the per-request minimum), so the proxy computes write units
 * itself and takes table read units from the server with the minimum applied.
 */

export type AttributeValue = Record<string, unknown>;
export type WireItem = Record<string, AttributeValue>;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Numbers take about one byte per two significant digits, plus one. */
function numberSize(text: string): number {
  const digits = text
    .replace(/^-/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

function valueSize(value: AttributeValue): number {
  const [type, content] = Object.entries(value)[0] ?? [];
  switch (type) {
    case 'S':
      return utf8(String(content));
    case 'N':
      return numberSize(String(content));
    case 'B':
      return Buffer.from(String(content), 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (content as string[]).reduce((sum, item) => sum + utf8(item), 0);
    case 'NS':
      return (content as string[]).reduce((sum, item) => sum + numberSize(item), 0);
    case 'BS':
      return (content as string[]).reduce((sum, item) => sum + Buffer.from(item, 'base64').length, 0);
    case 'L':
      return 3 + (content as AttributeValue[]).reduce((sum, item) => sum + 1 + valueSize(item), 0);
    case 'M':
      return (
        3 +
        Object.entries(content as WireItem).reduce(
          (sum, [name, item]) => sum + 1 + utf8(name) + valueSize(item),
          0,
        )
      );
    default:
      return 0;
  }
}

/** Bytes DynamoDB counts for an item: attribute names plus values. */
export function itemSize(item: WireItem): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);
}

/** Write request units of writing an item of this many bytes: one per KB, at least one. */
export const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/** Every read request bills at least one unit (half when eventually consistent). */
export const readUnitsWithMinimum = (reported: number, consistent: boolean) =>
  Math.max(reported, consistent ? 1 : 0.5);

export interface IndexKeys {
  indexName: string;
  attributes: readonly string[];
  /** The attributes an index entry holds; undefined: all of them (ProjectionType ALL). */
  projected?: readonly string[];
}

/**
 * Index writes caused by a change of an item from `before` to `after` (either may be absent): an entry
 * that appears or disappears is one write, one whose key changes is two (a delete and a put), one whose
 * key stays is one (an update) when a projected attribute changed and none otherwise. Each is billed by
 * the size of the entry, the projected attributes only. An item lacking any key attribute of an index
 * is not in that (sparse) index.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes
 */
export function indexWriteUnits(
  indexes: readonly IndexKeys[],
  before: WireItem | undefined,
  after: WireItem | undefined,
): Record<string, number> {
  const keyOf = (item: WireItem | undefined, index: IndexKeys) => {
    if (!item) return undefined;
    const parts = index.attributes.map((name) => item[name]);
    return parts.every((part) => part !== undefined) ? JSON.stringify(parts) : undefined;
  };
  const entryOf = (item: WireItem, index: IndexKeys): WireItem =>
    index.projected === undefined
      ? item
      : Object.fromEntries(index.projected.flatMap((name) => (item[name] ? [[name, item[name]]] : [])));
  const units: Record<string, number> = {};
  for (const index of indexes) {
    const oldKey = keyOf(before, index);
    const newKey = keyOf(after, index);
    const oldEntry = before && oldKey ? entryOf(before, index) : undefined;
    const newEntry = after && newKey ? entryOf(after, index) : undefined;
    const oldUnits = oldEntry ? writeUnits(itemSize(oldEntry)) : 0;
    const newUnits = newEntry ? writeUnits(itemSize(newEntry)) : 0;
    const rekeyed = oldKey !== undefined && newKey !== undefined && oldKey !== newKey;
    const unchanged = oldKey === newKey && JSON.stringify(oldEntry) === JSON.stringify(newEntry);
    units[index.indexName] = rekeyed ? oldUnits + newUnits : unchanged ? 0 : Math.max(oldUnits, newUnits);
  }
  return units;
}
