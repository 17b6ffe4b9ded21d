// The README's figures are the newest kept bench results: no figure there is kept by hand.
import {readFileSync} from 'node:fs';
import test from 'ava';
import {benchRows, latestResultsFile, readResults, renderFigures, replaceFigures, type ResultsFile} from '../../bench/figures.js';
import {readmePath, withFigures} from '../../scripts/readme-figures.js';

test('README.md shows exactly the table made from the newest bench/results/<date>.json (npm run readme-figures)', t => {
	const readme = readFileSync(readmePath, 'utf8');
	t.is(readme, withFigures(readme));
	const latest = readResults(latestResultsFile()!);
	t.true(readme.includes(`bench/results/${latest.date}.json`));
});

test('a figure not measured in the file\'s own run says where and when it is from', t => {
	const results: ResultsFile = {
		date: '2026-12-02',
		machine: 'test machine',
		benches: {
			status: {date: '2026-12-02', lines: [{bench: 'status', figures: [
				{name: 'krazy-tui status --json, median wall time', value: 220.4, unit: 'ms'},
				{name: 'node -e "fetch(...)" of GET / (JSON), median wall time', value: 400, unit: 'ms'},
				{name: 'ratio', value: 0.551, unit: 'ratio', goal: '≤ 1.5', pass: true},
			]}]},
			wall: {date: '2026-11-25', carried: 'README before results were kept', rows: [{figure: 'Wall', measured: '4.4 %', goal: '< 10 %'}]},
		},
	};
	t.deepEqual(benchRows('status', results.benches.status!, results.date), [
		{figure: '`status --json` wall time ÷ `node -e "fetch(…)"` of the same JSON', measured: '0.55 (220 ms vs 400 ms)', goal: '≤ 1.5 ✓'},
	]);
	t.deepEqual(benchRows('wall', results.benches.wall!, results.date), [{figure: 'Wall', measured: '4.4 % (from 2026-11-25)', goal: '< 10 %'}]);
	const section = renderFigures(results);
	t.true(section.includes('| Wall | 4.4 % (from 2026-11-25) | < 10 % | `wall` (README before results were kept) |'), section);
	t.throws(() => replaceFigures('no markers here', section), {message: /no <!-- figures:start -->/});
});

test('a bench whose output lacks a figure the table needs is an error naming the bench, not a blank', t => {
	t.throws(() => benchRows('status', {date: '2026-12-02', lines: [{bench: 'status', figures: []}]}, '2026-12-02'), {message: /^bench status: no figure/});
});
