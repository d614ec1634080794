/**
 * Gaps the method registry's type refuses. Every line marked `@ts-expect-error` must be a type
 * error: `deno check` fails on a marker whose line type-checks, so this file passing proves each
 * gap is caught (see `table_test.ts`). Never run.
 *
 * @module
 */
import type { MethodName, SubscriberMethod } from "../table.ts";
import type { MethodImpl } from "../types.ts";
import { ping } from "../ping.ts";
import { pong } from "../pong.ts";

/** The type `registry.ts` gives its handlers. */
type Handlers = { readonly [N in MethodName]: MethodImpl<N> };

declare const all: Handlers;

// @ts-expect-error a row of the table without its handler
export const missing: Handlers = { ...all, REQPing: undefined };

// @ts-expect-error a handler filed under another method's name
export const misfiled: Handlers = { ...all, REQPing: pong };

// @ts-expect-error a handler for a method the table does not have
export const extra: Handlers = { ...all, REQNotInTable: ping };

// @ts-expect-error process controls name only methods of the table
export const unknown: SubscriberMethod = "REQNotInTable";

// @ts-expect-error nor methods only central may call
export const trusted: SubscriberMethod = "REQTrustedKeys";
