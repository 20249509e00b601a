/**
 * `@chorus/client/express`: room signaling shaped like ZEGO's `zego-express-engine-webrtc`, for an app that changes
 * only its import (`import { ZegoExpressEngine } from "@chorus/client/express"`, or the default export). What it
 * declares of ZEGO's signaling, and how each compares with ZEGO's typings: docs/zego-compat.md.
 */
import { ZegoExpressEngine } from "../express.js";

export * from "../express.js";
export default ZegoExpressEngine;
