// Graphs that mean something: the window the title names spans the whole chart, the width is used, every chart has
// a scale, RSS and memory are drawn against their own range (a constant flat in the middle), and tall panes grow.
import React from 'react';
import test from 'ava';
import {render} from 'ink-testing-library';
import type {DeviceSnapshot, ServiceSnapshot} from '../../../source/core/fleet-store.js';
import {MetricRing, ringCapacity} from '../../../source/core/metric-ring.js';
import {ownRange, timeColumns} from '../../../source/display/sparkline.js';
import {GraphsPane} from '../../../source/ui/components/graphs-pane.js';
import {LineWidthContext} from '../../../source/ui/components/line.js';
import {plain} from '../frames.js';

const mib = 1024 * 1024;
const now = 1_800_000_000_000;

/** A ring polled every `intervalMs` for `spanMs` up to `now`, sized for five minutes as the store sizes it. */
function ring(value: (index: number) => number, intervalMs: number, spanMs: number) {
	const metric = new MetricRing(ringCapacity(300_000, intervalMs), 'gokrazy-json', 'bytes');
	const count = Math.min(metric.capacity, Math.floor(spanMs / intervalMs) + 1);
	for (let index = 0; index < count; index++) {
		metric.push(now - (count - 1 - index) * intervalMs, value(index));
	}

	return metric.series();
}

function device(memory: ReturnType<typeof ring>, used = 600 * mib): DeviceSnapshot {
	return {
		name: 'casa',
		overview: {hostname: 'casa'},
		memory: {used, total: 8192 * mib},
		memoryHistory: memory,
		node: null,
		stale: false,
		htmlError: null,
	} as unknown as DeviceSnapshot;
}

function pane(props: {device: DeviceSnapshot; service?: ServiceSnapshot; rows: number; width: number}) {
	return render(<LineWidthContext.Provider value={props.width}><GraphsPane historyMinutes={5} now={now} service={undefined} {...props} /></LineWidthContext.Provider>);
}

test('5 minutes mean 5 minutes: a poll every 2 s fills the chart only after 5 minutes, whatever its width', t => {
	for (const width of [40, 120, 300]) {
		const minute = timeColumns(ring(() => 1, 2000, 60_000).values, ring(() => 1, 2000, 60_000).times, {width, windowMs: 300_000, now});
		const filled = minute.filter(value => value !== null).length;
		t.true(Math.abs(filled - width / 5) <= 2, `one minute of five at ${width} columns: ${filled} columns`);
		t.is(minute.at(-1), 1, 'the newest sample is at the right edge');
		const five = ring(() => 1, 2000, 300_000);
		t.true(timeColumns(five.values, five.times, {width, windowMs: 300_000, now}).every(value => value !== null), `full after five minutes at ${width} columns, no holes`);
	}
});

test('a silence longer than a few polls stays a gap; a column holds the peak of its samples', t => {
	// Every second for 20 s, nothing for 30 s, every second for the last 10 s; 2 s a column.
	const times = [...Array.from({length: 20}, (_, index) => now - 60_000 + index * 1000), ...Array.from({length: 10}, (_, index) => now - 9000 + index * 1000)];
	const values = times.map((_, index) => (index === 0 ? 5 : index === 1 ? 9 : 1));
	const columns = timeColumns(values, times, {width: 30, windowMs: 60_000, now});
	t.is(columns[0], 9, 'two samples in one 2 s column: the larger');
	t.true(columns.slice(12, 24).every(value => value === null), 'no value drawn across a 30 s silence');
	t.true(columns.slice(1, 10).every(value => value === 1));
	t.true(columns.slice(-4).every(value => value === 1));
});

test('own-range scaling: a constant is flat in the middle, a moving value spans the chart', t => {
	const flat = ownRange([400 * mib, 400 * mib, 400 * mib])!;
	t.is(flat.low, 400 * mib);
	t.true(flat.min < 400 * mib && flat.max > 400 * mib);
	t.is((400 * mib - flat.min) / (flat.max - flat.min), 0.5);
	const moving = ownRange([100, 200])!;
	t.true(moving.min < 100 && moving.min > 90 && moving.max > 200 && moving.max < 210);
	t.is(ownRange([null, null]), undefined);
});

test('a tall pane: one chart across the width with min and max labels, growing with the rows; memory says used of total', t => {
	const memory = ring(index => (500 + (index % 10) * 10) * mib, 2000, 300_000);
	const app = pane({device: device(memory), rows: 14, width: 120});
	t.teardown(() => app.unmount());
	const lines = plain(app.lastFrame()).split('\n').filter(line => line !== '');
	t.regex(lines[0], /Graphs · casa · last 5 min/);
	t.regex(lines[1], /^mem 600\.0 MiB of 8\.0 GiB used \(7 %\)/);
	t.regex(lines[2], /^ *590\.0 MiB ┤[▁-█ ]+$/);
	t.regex(lines[12], /^ *500\.0 MiB ┤[▁-█ ]+$/);
	t.is(lines.length, 14, 'the chart grew into every row but the cpu line');
	t.regex(lines[13], /^cpu cpu, load, network: unknown/);
	t.is([...lines[2]].length, 120, 'the chart takes the width');
	t.true(lines.slice(2).some(line => line.includes('█')) && lines.slice(2).some(line => /┤ *[▁-▇]/.test(line)), 'the range is used, not a flat band');
});

test('constant RSS is a flat line in the middle, not full bars; a short pane keeps the scale beside the chart', t => {
	const memory = ring(() => 600 * mib, 2000, 300_000);
	const rss = ring(() => 42 * mib, 2000, 300_000);
	const service = {name: 'golink', rss: 42 * mib, rssHistory: rss} as unknown as ServiceSnapshot;
	const tall = pane({device: device(memory), service, rows: 21, width: 100});
	t.teardown(() => tall.unmount());
	const tallLines = plain(tall.lastFrame()).split('\n');
	const rssStart = tallLines.findIndex(line => line.startsWith('rss golink 42.0 MiB'));
	const chartEnd = tallLines.findIndex((line, index) => index > rssStart && !/[┤│]/.test(line));
	const chart = tallLines.slice(rssStart + 1, chartEnd).map(line => line.replace(/^.*?[┤│]/, ''));
	t.is(chart.length, 8, 'memory and rss share the rows: (21 - 1 - 3 lines) / 2 charts');
	const top = chart.findIndex(line => /[▁-█]/.test(line));
	t.true(top > 0, 'not full bars');
	t.true(Math.abs(top - (chart.length - 1) / 2) <= 1, `flat in the middle: ink from row ${top} of ${chart.length}`);
	t.true(chart.slice(top + 1).every(line => /^█+$/.test(line.trim())), 'one level across the chart');
	const short = pane({device: device(memory), service, rows: 3, width: 100});
	t.teardown(() => short.unmount());
	const shortLines = plain(short.lastFrame()).split('\n');
	t.regex(shortLines[2], /^rss {2}[▄▅]+ golink 42\.0 MiB \[42\.0 MiB–42\.0 MiB\]/);
});
