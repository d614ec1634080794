/**
 * The one place where an input message's spellings are made canonical: field names in any
 * letter case (as the original's Go decoder reads them), the seed's other spellings of fields
 * and methods. Every input path (socket, TCP, HTTP, playbook client, DSL) goes through it once,
 * before the schema.
 *
 * @module
 */
import { type Canonical, type FieldNames, FieldSpelling } from "./field_names.ts";
import {
  FIELD_ALIASES,
  inputMessageSchema,
  normalizeSpellings,
  operationSchema,
} from "./schema.ts";

/** The field names of an input message, derived from its schema. */
export const INPUT_FIELD_NAMES: FieldNames = {
  names: Object.keys(inputMessageSchema.shape),
  aliases: FIELD_ALIASES,
  nested: {
    operation: {
      names: Object.keys(operationSchema.shape),
      nested: { opArg: { names: Object.keys(operationSchema.shape.opArg.unwrap().shape) } },
    },
  },
};

const INPUT_SPELLING = new FieldSpelling(INPUT_FIELD_NAMES);

/**
 * One input message with canonical spellings, ready for `inputMessageSchema`; or why it is
 * ambiguous (two keys naming one field). Unknown fields are kept for the schema to name.
 *
 * @example
 * ```ts
 * import { canonicalInput } from "./canonical_input.ts";
 * canonicalInput({ ToNode: "ship1", method: "REQnCliCommand", MethodArgs: ["ls"] });
 * // { value: { toNode: "ship1", method: "REQCliCommand", methodArgs: ["ls"] } }
 * canonicalInput({ toNode: "ship1", methodTimeout: 5, MethodTimeout: 9 });
 * // { error: 'ambiguous fields: "methodTimeout" and "MethodTimeout" both name methodTimeout' }
 * ```
 */
export function canonicalInput(raw: unknown): Canonical {
  const renamed = INPUT_SPELLING.canonical(raw);
  return "error" in renamed ? renamed : { value: normalizeSpellings(renamed.value) };
}
