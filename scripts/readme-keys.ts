// Writes the dashboard's key list into README.md between its keys markers, from the one key table (`npm run readme`).
import {readFileSync, writeFileSync} from 'node:fs';
import {keyTableMarkdown} from '../source/ui/key-table.js';

export const readmePath = new URL('../README.md', import.meta.url);
const start = '<!-- keys:start -->';
const end = '<!-- keys:end -->';

/** README text with the key section replaced by the key table's markdown. */
export function withKeyTable(readme: string): string {
	const from = readme.indexOf(start);
	const to = readme.indexOf(end);
	if (from === -1 || to < from) {
		throw new Error('README.md has no keys markers');
	}

	return `${readme.slice(0, from + start.length)}\n${keyTableMarkdown().trim()}\n${readme.slice(to)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
	writeFileSync(readmePath, withKeyTable(readFileSync(readmePath, 'utf8')));
}
