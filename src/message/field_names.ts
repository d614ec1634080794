/**
 * Field names read as Go's `encoding/json` reads them: a key names a known field in any letter
 * case, so the original's message files (`MethodArgs`, `ReplyMethodTimeout`) keep working.
 *
 * @module
 */

/** The known field names of one JSON object, and of the objects nested in its fields. */
export interface FieldNames {
  /** The canonical names. */
  readonly names: readonly string[];
  /** Other spellings of a field (matched in any case too), mapped to its canonical name. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** The field names of an object held in a field, by that field's canonical name. */
  readonly nested?: Readonly<Record<string, FieldNames>>;
}

/** The outcome of {@linkcode FieldSpelling.canonical}: the value renamed, or why it cannot be. */
export type Canonical = { value: unknown } | { error: string };

/** ASCII letters only: a Unicode fold (`K` for the Kelvin sign) would let look-alikes in. */
function fold(key: string): string {
  return key.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * Renames the keys of a JSON object to the canonical names of the fields they spell in another
 * letter case. A key that names no known field is kept as it is, for the schema to refuse by
 * name; two keys naming one field make the object ambiguous. The renamed object holds every
 * key as an own data property: a `__proto__` key never becomes a prototype.
 *
 * @example
 * ```ts
 * import { FieldSpelling } from "./field_names.ts";
 * const spelling = new FieldSpelling({ names: ["toNode", "methodArgs"] });
 * spelling.canonical({ ToNode: "ship1", METHODARGS: [] });
 * // { value: { toNode: "ship1", methodArgs: [] } }
 * spelling.canonical({ toNode: "a", TONODE: "b" });
 * // { error: 'ambiguous fields: "toNode" and "TONODE" both name toNode' }
 * ```
 */
export class FieldSpelling {
  readonly #exact: ReadonlySet<string>;
  readonly #folded: ReadonlyMap<string, string>;
  readonly #nested: ReadonlyMap<string, FieldSpelling>;

  /** The spelling rules of the fields `names` describes. */
  constructor(names: FieldNames) {
    this.#exact = new Set(names.names);
    const folded = new Map<string, string>();
    for (const name of names.names) folded.set(fold(name), name);
    for (const [alias, name] of Object.entries(names.aliases ?? {})) folded.set(fold(alias), name);
    this.#folded = folded;
    this.#nested = new Map(
      Object.entries(names.nested ?? {}).map(([field, inner]) => [field, new FieldSpelling(inner)]),
    );
  }

  /**
   * `value` with its keys (and those of its nested objects) renamed to canonical names; a
   * value that is not a plain JSON object is returned as it is. `path` names where `value` is
   * in an error (nested objects).
   */
  canonical(value: unknown, path = ""): Canonical {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return { value };
    const given = value as Record<string, unknown>;
    const keys = Object.keys(given);
    const renamed = new Map<string, string>(); // canonical name -> key given
    let changed = false;
    for (const key of keys) {
      const name = this.#exact.has(key) ? key : this.#folded.get(fold(key)) ?? key;
      const other = renamed.get(name);
      if (other !== undefined) {
        const where = path === "" ? "" : ` in ${path}`;
        return {
          error: `ambiguous fields${where}: ${JSON.stringify(other)} and ${JSON.stringify(key)} ` +
            `both name ${name}`,
        };
      }
      renamed.set(name, key);
      if (name !== key) changed = true;
    }
    const out: Record<string, unknown> = {};
    for (const [name, key] of renamed) {
      let inner = given[key];
      const nested = this.#nested.get(name);
      if (nested) {
        const result = nested.canonical(inner, path === "" ? name : `${path}.${name}`);
        if ("error" in result) return result;
        if (result.value !== inner) changed = true;
        inner = result.value;
      }
      defineOwn(out, name, inner);
    }
    return { value: changed ? out : value };
  }
}

/** Sets `key` as an own data property: assigning `__proto__` would replace the prototype. */
export function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
