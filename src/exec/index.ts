export * from "../ports/executor.ts";
export { createNodeExecutor, type NodeExecutorOptions } from "./node/node-executor.ts";
