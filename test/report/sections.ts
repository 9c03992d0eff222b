// Reading a written report back: its sections by id, in page order.
export function sections(html: string): Map<string, string> {
  return new Map([...html.matchAll(/<section id="([\w-]+)">([\s\S]*?)<\/section>/g)].map((m) => [m[1], m[2]]));
}
