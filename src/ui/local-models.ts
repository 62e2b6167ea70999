/**
 * The files the page's CPU engine needs, as Vite asset URLs: wllama's WebAssembly build and the bundled
 * micro-student (its GGUF and its prompt pack). Vite copies them into the build with content hashes and the
 * service worker precaches them, so the micro model answers offline after the first visit.
 */
import wllamaWasmUrl from "@wllama/wllama/esm/wasm/wllama.wasm?url";
import microGgufUrl from "../../models/micro/micro-arith.gguf?url";
import microPackYaml from "../../models/micro/pack.yaml?raw";

export { microGgufUrl, microPackYaml, wllamaWasmUrl };
