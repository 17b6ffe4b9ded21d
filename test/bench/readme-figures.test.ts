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

test('benches that print {id, label, ok} records (update, flash-card) give rows by id; a baseline has no mark, a missed goal ✗', t => {
	const update = {bench: 'update: 1024 MiB root pushed to a demo device in another process, 3 rounds, settle 5 s', figures: [
		{id: 'update.push.curl', label: 'curl', value: 200, unit: 'MiB/s', goal: 'baseline', ok: true},
		{id: 'update.push.krazy', label: 'krazy', value: 170, unit: 'MiB/s', goal: 'see ratio', ok: true},
		{id: 'update.push.ratio', label: 'ratio', value: 0.85, unit: 'ratio', goal: '≥ 0.9', ok: false},
		{id: 'update.push.peak-rss', label: 'peak', value: 70, unit: 'MiB', goal: '< 150 MiB', ok: true},
		{id: 'update.reboot.demo', label: 'reboot', value: 1.5, unit: 's', goal: 'baseline', ok: true},
		{id: 'update.reboot.gate', label: 'gate', value: 7, unit: 's', goal: 'see overhead', ok: true},
		{id: 'update.reboot.overhead', label: 'overhead', value: 0.5, unit: 's', goal: '≤ 2 s', ok: true},
	]};
	const rows = benchRows('update', {date: '2026-12-03', lines: [update]}, '2026-12-03');
	t.is(rows.length, 3);
	t.is(rows[0]!.measured, '0.85 (170 vs 200 MiB/s)');
	t.is(rows[0]!.goal, '≥ 0.9 ✗');
	t.is(rows[1]!.goal, '< 150 MiB ✓');
	t.regex(rows[2]!.figure, /settle time \(5 s\)/);

	// flash-card run without dd and the full write: those rows are left out, not blank.
	const card = {bench: 'flash at card speed: SD card, 25 MB/s write, 80 MB/s read, gokrazy-shaped 1536 MiB image', figures: [
		{id: 'fast-write-share', label: 'share', value: 99.5, unit: '%', goal: '≥ 90', ok: true},
		{id: 'fast-card-mb', label: 'mb', value: 94.7, unit: 'MB'},
		{id: 'fast-process-share', label: 'whole', value: 95, unit: '%'},
	]};
	const cardRows = benchRows('flash-card', {date: '2026-12-03', lines: [card]}, '2026-12-03');
	t.is(cardRows.length, 1);
	t.regex(cardRows[0]!.figure, /^Flash at card speed \(25 MB\/s write, 80 MB\/s read\), gokrazy 1\.5 GiB: fast mode/);
	t.is(cardRows[0]!.measured, '99.5 % (94.7 MB); 95.0 % of the whole process');
	t.is(cardRows[0]!.goal, '≥ 90 % ✓');
});
