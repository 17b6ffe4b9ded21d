// Sparklines, figures, and the layout that never draws taller than the terminal.
import test from 'ava';
import {sparkline, tallSparkline} from '../../source/display/sparkline.js';
import {fit, rule} from '../../source/display/columns.js';
import {agoText, shortBytes, shortDuration} from '../../source/display/units.js';
import {fleetLayout, windowStart} from '../../source/ui/fleet-layout.js';

test('a sparkline is always as wide as asked, newest values right, gaps blank', t => {
	t.is(sparkline([0, 50, 100], {width: 5, min: 0, max: 100}), '  ▁▅█');
	t.is(sparkline([1, null, 8], {width: 3, min: 0, max: 8}), '▂ █');
	t.is(sparkline([1, 2, 3, 4, 5, 6], {width: 3, min: 0, max: 6}), '▆▇█');
	t.is(sparkline([], {width: 4, empty: '·'}), '····');
	t.is(sparkline([5, 5], {width: 2}), '██');
});

test('figures read short', t => {
	t.is(shortBytes(412 * 1024 * 1024), '412M');
	t.is(shortBytes(7.9 * 1024 ** 3), '7.9G');
	t.is(shortBytes(null), '-');
	t.is(shortDuration(45_000), '45s');
	t.is(shortDuration(3 * 3600_000 + 5 * 60_000), '3h05m');
	t.is(shortDuration(50 * 3600_000), '2d02h');
	t.is(agoText(12_000), '12 s ago');
	t.is(agoText(5 * 60_000), '5 min ago');
	t.is(fit('abcdef', 4), 'abc…');
	t.is(fit('ab', 4, 'right'), '  ab');
	t.is(rule('Logs', 12), '── Logs ────');
});

test('every terminal size gets a layout no taller than it', t => {
	for (const [columns, rows] of [[80, 24], [40, 10], [30, 6], [200, 60], [120, 30]]) {
		for (const devices of [1, 5, 50]) {
			const layout = fleetLayout(columns, rows, devices);
			t.false(layout.tooSmall);
			const used = 2 + layout.graphRows + layout.deviceRows + 1 + (layout.serviceRows > 0 ? layout.serviceRows + 2 : 0);
			t.true(used <= rows - 1, `${columns}×${rows} with ${devices} devices uses ${used}`);
			t.true(layout.deviceRows >= 1);
		}
	}

	t.deepEqual(fleetLayout(80, 24, 3).hidden, []);
	t.true(fleetLayout(40, 10, 3).hidden.includes('graphs'));
	t.true(fleetLayout(20, 5, 3).tooSmall);
});

test('a window keeps the selection visible', t => {
	t.is(windowStart(100, 10, 0), 0);
	t.is(windowStart(100, 10, 50, 45), 45);
	t.is(windowStart(100, 10, 99, 0), 90);
	t.is(windowStart(5, 10, 3), 0);
});

test('a tall sparkline stacks eighth-steps over its rows, every row as wide as asked', t => {
	const rows = tallSparkline([0, 50, 100, null], {width: 5, height: 2, min: 0, max: 100, empty: '·'});
	t.deepEqual(rows, ['   █ ', '·▁██·'], 'full at the top, half fills the bottom row, nothing marked on the baseline');
	t.deepEqual(tallSparkline([1, 2], {width: 2, height: 1}), [sparkline([1, 2], {width: 2})]);
});

test('on a tall terminal the rows the services cannot fill go to the graphs: no empty band', t => {
	const layout = fleetLayout(120, 60, 3, {serviceCount: 8});
	t.is(layout.serviceRows, 8);
	const used = 2 + layout.graphRows + layout.deviceRows + 1 + layout.serviceRows + 2;
	t.is(used, 60 - 1, 'every row is used');
	t.true(layout.graphRows > 20);
	t.deepEqual(fleetLayout(120, 60, 3).serviceRows, fleetLayout(120, 60, 3, {}).serviceRows, 'without a count the list keeps its room');
	t.is(fleetLayout(80, 24, 3, {serviceCount: 40}).graphRows, 5, 'a long list keeps the graphs at their size');
});
