/** Reads a benchmark or question set from a file path or an http(s) URL (Node). */
import { readFile } from "node:fs/promises";

export async function readSource(source: string, what: string): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    let response: Response;
    try {
      response = await fetch(source);
    } catch (error) {
      throw new Error(`cannot fetch ${what} ${source}: ${(error as Error).message}`);
    }
    if (!response.ok) throw new Error(`cannot fetch ${what} ${source}: HTTP ${response.status}`);
    return response.text();
  }
  try {
    return await readFile(source, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `cannot read ${what} ${source}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`,
    );
  }
}
