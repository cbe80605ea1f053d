import { readFileSync, writeFileSync } from 'fs';

/** Replaces what lies between `<!-- NAME:start -->` and `<!-- NAME:end -->` in a README with `markdown`. */
export function replaceReadmeSection(readme: string, name: string, markdown: string): void {
  const text = readFileSync(readme, 'utf8');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  if (!text.includes(start) || !text.includes(end)) throw new Error(`${readme} has no ${start} ... ${end} markers`);
  writeFileSync(readme, `${text.slice(0, text.indexOf(start) + start.length)}\n${markdown}\n${text.slice(text.indexOf(end))}`);
}
