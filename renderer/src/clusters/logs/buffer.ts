/**
 * A container log as the panel holds it: at most MAX_LINES lines (older
 * ones are dropped, and the panel says so; the download has the whole log),
 * with the lines that match the search. Lines are counted from the start of
 * the stream (absolute), so matches survive the dropping of older lines;
 * new lines are searched as they come, not the whole log again.
 */
export const MAX_LINES = 100_000;

export class LogBuffer {
  readonly lines: string[] = [];
  /** The absolute number of lines[0]: how many lines were dropped. */
  first = 0;
  /** Absolute numbers of the lines that match, ascending. */
  matches: number[] = [];
  private query = '';

  append(more: string[]): void {
    const start = this.first + this.lines.length;
    for (const line of more) this.lines.push(line);
    if (this.query) more.forEach((line, i) => this.test(line) && this.matches.push(start + i));
    const over = this.lines.length - MAX_LINES;
    if (over > 0) {
      this.lines.splice(0, over);
      this.first += over;
      const keep = this.matches.findIndex((m) => m >= this.first);
      this.matches = keep === -1 ? [] : this.matches.slice(keep);
    }
  }

  search(query: string): void {
    this.query = query.toLowerCase();
    this.matches = [];
    if (this.query) this.lines.forEach((line, i) => this.test(line) && this.matches.push(this.first + i));
  }

  private test(line: string): boolean {
    return line.toLowerCase().includes(this.query);
  }
}

/** The line cut where it matches `query` (case-insensitive): text, match, text, match… */
export function splitMatches(line: string, query: string): string[] {
  if (!query) return [line];
  const lower = line.toLowerCase();
  const q = query.toLowerCase();
  const parts: string[] = [];
  let at = 0;
  for (let i = lower.indexOf(q); i !== -1; i = lower.indexOf(q, i + q.length)) {
    parts.push(line.slice(at, i), line.slice(i, i + q.length));
    at = i + q.length;
  }
  parts.push(line.slice(at));
  return parts;
}
