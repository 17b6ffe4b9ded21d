// Writes the key lists into README.md between their markers, from the key tables (`npm run readme`): the dashboard's,
// the flashing wizard's, the wall's and the update pane's.
import {readFileSync, writeFileSync} from 'node:fs';
import {dashboardKeys} from '../source/ui/dashboard-keys.js';
import {flashKeys} from '../source/ui/flash/flash-keys.js';
import {wallKeys} from '../source/wall/wall-keys.js';
import {updateKeys} from '../source/ui/update/update-keys.js';
import {historyKeys} from '../source/ui/prometheus/history-keys.js';

export const readmePath = new URL('../README.md', import.meta.url);

/** Each marker pair and the table that fills it. */
export const keySections = [
	{name: 'keys', markdown: () => dashboardKeys.markdown()},
	{name: 'wizard-keys', markdown: () => flashKeys.markdown()},
	{name: 'wall-keys', markdown: () => wallKeys.markdown()},
	{name: 'update-keys', markdown: () => updateKeys.markdown()},
	{name: 'history-keys', markdown: () => historyKeys.markdown()},
] as const;

/** README text with every key section replaced by its table's markdown. */
export function withKeyTable(readme: string): string {
	let text = readme;
	for (const section of keySections) {
		const start = `<!-- ${section.name}:start -->`;
		const end = `<!-- ${section.name}:end -->`;
		const from = text.indexOf(start);
		const to = text.indexOf(end);
		if (from === -1 || to < from) {
			throw new Error(`README.md has no ${section.name} markers`);
		}

		text = `${text.slice(0, from + start.length)}\n${section.markdown().trim()}\n${text.slice(to)}`;
	}

	return text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
	writeFileSync(readmePath, withKeyTable(readFileSync(readmePath, 'utf8')));
}
