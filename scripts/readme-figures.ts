// Writes the README's "Measured figures" table (between its markers) from the newest bench/results/<date>.json that
// `npm run bench` wrote (`npm run readme-figures`); `--check` only says whether the README agrees.
import {readFileSync, writeFileSync} from 'node:fs';
import {latestResultsFile, readResults, renderFigures, replaceFigures} from '../bench/figures.js';

export const readmePath = new URL('../README.md', import.meta.url);

/** README text with the figures section made from the newest results file. */
export function withFigures(readme: string): string {
	const latest = latestResultsFile();
	if (!latest) {
		throw new Error('bench/results/ holds no <date>.json: run `npm run build && npm run bench` first');
	}

	return replaceFigures(readme, renderFigures(readResults(latest)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const readme = readFileSync(readmePath, 'utf8');
	const updated = withFigures(readme);
	if (process.argv.includes('--check')) {
		if (updated !== readme) {
			console.error('readme-figures: README.md does not show the newest bench results; run `npm run readme-figures`');
			process.exitCode = 1;
		}
	} else if (updated !== readme) {
		writeFileSync(readmePath, updated);
		console.log('readme-figures: README.md updated');
	}
}
