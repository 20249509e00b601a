/**
 * `@chorus/client/zim`: chat shaped like ZEGO's `zego-zim-web`, for an app that changes only its import
 * (`import { ZIM } from "@chorus/client/zim"`, or `import ZIM from ...` as ZIM's samples write it). What it declares
 * of ZEGO's exports, and how each compares with ZEGO's typings: docs/zego-compat.md.
 */
import { ZIM } from "../zim.js";

export * from "../zim.js";
export { ZIMErrorCode } from "../errors.js";
export type { ZIMError } from "../errors.js";
export type * from "../zim/results.js";
export default ZIM;
