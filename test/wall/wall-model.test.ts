// The wall's view model as plain functions: device snapshot → header, chart series, gauge, table rows, lines.
import test from 'ava';
import stringWidth from 'string-width';
import {createFleetStore, type DeviceSnapshot} from '../../source/core/fleet-store.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {startDemoDevice} from '../../source/demo/demo-device.js';
import {wallHelpLines, wallIntent, wallKeyNames, wallKeys} from '../../source/wall/wall-keys.js';
import {borderLabel, escapeTags, painter} from '../../source/wall/wall-paint.js';
import {
	chartModel,
	factsLines,
	healthView,
	listHeading,
	listRow,
	niceMaxPercent,
	orderServices,
	gaugeBar,
	permGauge,
	serviceTable,
	stderrLine,
	tileHeader,
	titleLine,
	yLabelCount,
} from '../../source/wall/wall-model.js';
import {startNodeExporter} from '../helpers/node-exporter.js';
import {device, gib, overview, series, service} from './wall-fixtures.js';

const plain = painter(false);
const colored = painter(true);
const stripSgr = (text: string) => text.replace(/\u001b\[[\d;]*m/g, '');
const width = (text: string) => stringWidth(text);
const clock = (ms: number) => `T${ms}`;

test('the painter adds colour sequences only when colour is on', t => {
	t.is(plain.paint('online', 'ok'), 'online');
	t.is(colored.paint('online', 'ok'), '\u001b[32monline\u001b[39m');
	t.is(colored.paint('', 'bad'), '');
	t.not(colored.paint('x', 'muted'), colored.paint('x', 'ok'));
});

const healthCases: Array<[string, Partial<DeviceSnapshot>, string, string]> = [
	['online', {health: 'online'}, '●', 'online'],
	['connecting', {health: 'connecting', lastSeen: null}, '◌', 'connecting'],
	['unreachable after it answered', {health: 'unreachable', lastSeen: 42}, '✗', 'unreachable since T42'],
	['unreachable from the start', {health: 'unreachable', lastSeen: null}, '✗', 'unreachable'],
	['wrong password', {health: 'auth'}, '⚷', 'wrong password'],
	['a TLS problem', {health: 'tls'}, '⚠', 'TLS problem'],
	['garbage', {health: 'bad-answer'}, '?', 'bad answer'],
];

for (const [name, overrides, mark, text] of healthCases) {
	test(`health: ${name}`, t => {
		const view = healthView(device(overrides), clock);
		t.is(view.mark, mark);
		t.is(view.text, text);
		t.is(view.tone, overrides.health === 'online' ? 'ok' : (overrides.health === 'connecting' ? 'muted' : 'bad'));
	});
}

test('the tile header names the hostname and the device and keeps the health whole at the right edge', t => {
	const header = stripSgr(tileHeader(device({name: '127.0.0.1:8080'}), 50, plain));
	t.is(width(header), 50);
	t.true(header.startsWith('casa · 127.0.0.1:8080'));
	t.true(header.endsWith('● online'));
	const narrow = stripSgr(tileHeader(device({name: '127.0.0.1:8080', health: 'unreachable', lastSeen: 7}), 34, plain, {formatTime: clock}));
	t.is(width(narrow), 34);
	t.true(narrow.endsWith('✗ unreachable since T7'), narrow);
	t.true(narrow.startsWith('casa · 1'), narrow);
});

test('a hostname in wide characters is cut by columns: the header stays exactly as wide as the tile', t => {
	const wide = device({overview: overview({hostname: '日本語のホスト名です'})});
	for (const columns of [12, 20, 33, 50]) {
		t.is(width(tileHeader(wide, columns, colored)), columns, `${columns} columns`);
	}

	const table = serviceTable(device({services: [service('/user/日本語のサービス名です')]}), {width: 30, height: 8}, colored);
	t.true(table.rows.every(row => width(row) <= 27), table.rows.join('\n'));
});

test('the compact header adds memory and /perm use when the name still fits', t => {
	const header = stripSgr(tileHeader(device(), 60, plain, {compact: true}));
	t.regex(header, /^casa +mem 25% {2}perm 10% {2}● online$/);
	// Not at the cost of the name.
	const narrow = stripSgr(tileHeader(device({name: 'kitchen-display'}), 40, plain, {compact: true}));
	t.is(narrow, `casa · kitchen-display${' '.repeat(10)}● online`);
});

test('text from the device cannot move the cursor, set the title or open a blessed tag', t => {
	const evil = device({
		name: 'evil',
		overview: overview({hostname: 'ho\u001b]0;pwned\u0007st\u001b[2J', model: 'Pi\u001b[5;5H'}),
		services: [service('/user/{bold}x\u001b[31m')],
	});
	// Bold is emphasis (kept without colour); nothing else of an escape may survive.
	const header = stripSgr(tileHeader(evil, 60, plain));
	t.false(header.includes('\u001b'));
	t.true(header.startsWith('host · evil'));
	const table = serviceTable(evil, {width: 60, height: 10}, colored);
	t.true(table.rows[0].startsWith('{open}bold{close}x'), table.rows[0]);
	t.false(stripSgr(table.rows.join('')).includes('\u001b'));
	t.false(factsLines(evil, {width: 20, height: 5}, plain).join('').includes('\u001b'));
	t.is(escapeTags('a{b}c'), 'a{open}b{close}c');
});

test('the chart shows memory in use as a percentage of the total, newest samples last', t => {
	const snapshot = device({memoryHistory: series([2 * gib, 4 * gib, null, 6 * gib])});
	const model = chartModel(snapshot, {width: 40, height: 10}, plain);
	t.is(model.series.length, 1);
	t.is(model.series[0].title, 'mem');
	t.deepEqual(model.series[0].y, [25, 50, 75]);
	t.deepEqual(model.series[0].x, ['-0:06', '-0:04', 'now']);
	t.is(model.series[0].style.line, 'normal');
	t.is(model.maxY, 100);
	t.regex(model.label, /mem 25% 2\.0G/);
});

test('the chart keeps only as many samples as its width can draw', t => {
	const values = Array.from({length: 150}, (_, index) => (index + 1) * 10_000_000);
	const model = chartModel(device({memoryHistory: series(values)}), {width: 30, height: 10}, plain);
	t.is(model.series[0].y.length, 30 * 2 - 24);
	t.is(model.series[0].y.at(-1), (150 * 10_000_000 / (8 * gib)) * 100);
});

test('with a node exporter the chart adds CPU, from where both figures exist, carrying over a missed scrape', t => {
	const snapshot = device({
		memoryHistory: series([gib, gib, gib, gib], {start: 0}),
		node: {
			url: 'http://127.0.0.1:9100/metrics',
			state: 'present',
			error: null,
			cpuCount: 4,
			cpuPercent: series([12, null, 30], {start: 2000, unit: 'percent'}),
			load1: series([0.5], {unit: 'percent'}),
			rxBytesPerSecond: series([]),
			txBytesPerSecond: series([]),
			load5: null,
			load15: null,
		},
	});
	const model = chartModel(snapshot, {width: 40, height: 10}, colored);
	t.deepEqual(model.series.map(entry => entry.title), ['mem', 'cpu']);
	t.deepEqual(model.series[0].y, [12.5, 12.5, 12.5]);
	t.deepEqual(model.series[1].y, [12, 12, 30]);
	t.is(model.series[0].style.line, 'cyan');
	t.is(model.series[1].style.line, 'yellow');
	t.is(model.maxY, 40);
	t.regex(stripSgr(model.label), /mem 25% 2\.0G · cpu 30%/);
});

test('a chart without samples draws nothing and says it waits', t => {
	const model = chartModel(device({memoryHistory: series([]), overview: null, memory: null}), {width: 40, height: 10}, plain);
	t.deepEqual(model.series, []);
	t.regex(model.label, /waiting for data/);
});

const maxima: Array<[number, number]> = [[0, 10], [5, 10], [9, 10], [9.5, 20], [17, 20], [30, 40], [55, 80], [90, 100], [120, 150]];
for (const [highest, top] of maxima) {
	test(`the y axis tops at ${top} for a highest value of ${highest}`, t => {
		t.is(niceMaxPercent(highest), top);
	});
}

test('y labels come in whole steps and two rows apart', t => {
	t.is(yLabelCount(100, 20), 5);
	t.is(yLabelCount(100, 7), 2);
	t.is(yLabelCount(60, 7), 3);
	t.is(yLabelCount(40, 9), 4);
	t.is(yLabelCount(10, 1), 1);
});

const gaugeCases: Array<[string, number, number, number, string]> = [
	// contrib reads a value below 1.001 as a fraction: half a percent must reach it as 0.005.
	['half a percent', 0.005, 0.5, 0.005, 'green'],
	['a third', 1 / 3, 100 / 3, 100 / 3, 'green'],
	['almost full', 0.8, 80, 80, 'yellow'],
	['full', 0.95, 95, 95, 'red'],
];

for (const [name, fraction, percent, value, stroke] of gaugeCases) {
	test(`/perm gauge: ${name}`, t => {
		const total = 100 * gib;
		const snapshot = device({overview: overview({perm: {dev: '/dev/sda4', used: fraction * total, avail: total - (fraction * total), total}})});
		const model = permGauge(snapshot, colored, 30);
		t.true(Math.abs(model.percent! - percent) < 1e-9);
		t.true(Math.abs(model.value - value) < 1e-9);
		t.is(model.stroke, stroke);
		t.regex(model.label, /^ \/perm .* of 100G $/);
		t.is(permGauge(snapshot, plain).stroke, 'normal');
	});
}

test('the /perm gauge is a track across its width with the used part filled, never a lone cell: 9 % of 24 columns', t => {
	const total = 252 * gib;
	const snapshot = device({overview: overview({perm: {dev: '/dev/sda4', used: 0.09 * total, avail: 0.91 * total, total}})});
	const model = permGauge(snapshot, plain, 24, 4);
	t.deepEqual(model.lines, ['', ` ${'█'}▊${'░'.repeat(18)}`, ` ${'█'}▊${'░'.repeat(18)}`, ' 9 % used']);
	t.true(model.lines.slice(1, 3).every(line => [...line].length === 21), 'the track spans the box inside its border and margin');
	t.deepEqual(permGauge(snapshot, plain, 24, 2).lines.length, 2, 'a short box: one bar row and the figure');
	const coloured = permGauge(snapshot, colored, 24, 4).lines[1];
	t.true(coloured.includes('\u001b[32m█▊'), 'the used part in the ok tone');
	t.deepEqual(gaugeBar(0.01, 10), {filled: '▏', track: '░'.repeat(9)}, 'a little use is an eighth, not nothing');
	t.deepEqual(gaugeBar(0, 10), {filled: '', track: '░'.repeat(10)});
	t.deepEqual(gaugeBar(100, 10), {filled: '█'.repeat(10), track: ''});
	t.deepEqual(permGauge(device({overview: overview({perm: null})}), plain).lines, [], 'nothing known: an empty box, not 0 %');
});

test('the gauge label shortens to fit and a device without /perm says so', t => {
	t.is(permGauge(device(), plain, 20).label, ' /perm ');
	t.is(permGauge(device(), plain, 21).label, ' /perm 3.0G/30G ');
	t.is(permGauge(device(), plain, 30).label, ' /perm 3.0G of 30G ');
	const none = permGauge(device({overview: overview({perm: null})}), plain);
	t.is(none.percent, null);
	t.is(none.label, ' no /perm ');
});

test('services are ordered trouble first, then the user’s, then the system’s, in the device’s order within', t => {
	const ordered = orderServices([
		service('/gokrazy/ntp'),
		service('/user/a'),
		service('/user/b', {state: 'restarting'}),
		service('/gokrazy/dhcp', {state: 'crash-looping', restartsInWindow: 5}),
		service('/user/c', {state: 'stopped'}),
	]);
	t.deepEqual(ordered.map(entry => entry.path), ['/gokrazy/dhcp', '/user/b', '/user/a', '/user/c', '/gokrazy/ntp']);
});

test('the service table fits its rows to the width, colours states, and drops columns when narrow', t => {
	const snapshot = device({
		services: [
			service('/user/golink', {pid: 4242}),
			service('/user/crashy', {state: 'crash-looping', restartsInWindow: 4}),
			service('/user/backup', {state: 'stopped'}),
		],
	});
	const wide = serviceTable(snapshot, {width: 60, height: 10}, colored, Date.now());
	t.regex(wide.header, /^ SERVICE +STATE +UP +RSS +PID$/);
	t.is(width(wide.header), 58);
	t.deepEqual(wide.rows.map(row => width(row)), [57, 57, 57]);
	t.regex(stripSgr(wide.rows[0]), /^crashy +! crash-loop ×4/);
	t.true(wide.rows[0].includes('\u001b[31m! crash-loop ×4'));
	t.regex(stripSgr(wide.rows[1]), /^golink +▶ running +1h00m +12M +4242$/);
	t.true(wide.rows[2].includes('\u001b[38;5;245m■ stopped'));
	t.regex(stripSgr(wide.label), /services: 1 running · 1 stopped · 1 crash-looping/);
	const narrow = serviceTable(snapshot, {width: 30, height: 10}, plain);
	t.regex(narrow.header, /^ SERVICE +STATE +$/);
	t.false(narrow.rows.some(row => row.includes('\u001b')));
});

test('a table too short for every service says how many more there are', t => {
	const services = Array.from({length: 9}, (_, index) => service(`/user/s${index}`));
	const table = serviceTable(device({services}), {width: 40, height: 8}, plain);
	t.is(table.rows.length, 4);
	t.regex(table.rows[3], /^… 6 more \(6 running\)/);
});

test('a failing device shows its last known services under the cause', t => {
	const snapshot = device({health: 'unreachable', error: 'casa: no answer from 127.0.0.1:8080 after 5 s', stale: true});
	const table = serviceTable(snapshot, {width: 50, height: 10}, plain);
	t.is(table.rows[0].trimEnd(), '✗ no answer from 127.0.0.1:8080 after 5 s');
	t.is(table.rows.length, 4);
	t.regex(table.label, /^ last known: 3 running /);
});

test('a device that never answered gets its cause over a few rows', t => {
	const snapshot = device({
		health: 'auth', overview: null, services: [], memory: null,
		error: 'casa: wrong password (the device said: invalid username/password) for http://127.0.0.1:8080',
	});
	const table = serviceTable(snapshot, {width: 35, height: 10}, plain);
	t.deepEqual(table.rows.map(row => row.trimEnd()), ['✗ wrong password (the device', 'said: invalid username/password)', 'for http://127.0.0.1:8080']);
	t.is(serviceTable(snapshot, {width: 35, height: 6}, plain).rows.length, 2);
});

test('labels on a border leave the corner free', t => {
	t.is(borderLabel([{text: 'services: 12 running · 3 stopped'}], 20, plain), ' services: 12… ');
	t.is(width(borderLabel([{text: 'x'}], 20, colored)), 3);
});

test('facts list model, memory and build, as many as fit', t => {
	const lines = factsLines(device(), {width: 16, height: 3}, plain);
	t.deepEqual(lines, ['Raspberry Pi 4 …', 'mem 2.0G of 8.0G', 'build 2026-11-20']);
});

test('list rows and heading fit the width', t => {
	const heading = listHeading(80);
	t.regex(heading, /^DEVICE +HEALTH +MEM +PERM +SERVICES/);
	const row = listRow(device({services: [service('/user/a'), service('/user/b', {state: 'stopped'})]}), 80, colored, clock);
	t.true(width(row) <= 80);
	t.regex(stripSgr(row), /^casa +● online +25% +10% +1 running · 1 stopped$/);
	t.true(stripSgr(listRow(device({health: 'unreachable', lastSeen: 9}), 100, colored, clock)).includes('✗ unreachable since T9'));
	const down = stripSgr(listRow(device({health: 'unreachable', lastSeen: 9}), 40, colored, clock));
	t.regex(down, /^casa +✗ unreachable/);
	t.true([...down].length <= 40);
});

test('stderr lines name device and service, printable, cut to the width', t => {
	t.is(stderrLine({device: 'casa', service: 'golink', kind: 'line', text: 'boom\u001b[2J\ttab'}, 80, plain), 'casa/golink  boom    tab');
	t.is(stderrLine({device: 'casa', service: 'x', kind: 'gap', text: '3 lines lost'}, 80, plain), 'casa/x  [3 lines lost]');
	t.is(width(stderrLine({device: 'casa', service: 'x', kind: 'line', text: 'y'.repeat(200)}, 50, colored)), 50);
});

test('the title sums the fleet up and shows the page and the rotation', t => {
	const devices = [device(), device({name: 'b', health: 'unreachable'}), device({name: 'c', services: [service('/user/x', {state: 'crash-looping'})]})];
	const rotating = titleLine({devices, page: 1, pageCount: 3, paused: false, nextPageInMs: 4200}, 200, plain);
	t.regex(rotating, /3 devices: 2 online · 1 failing · 1 crash-looping {3}page 2\/3 · next in 5 s {3}\? keys {2}q quit$/);
	t.regex(titleLine({devices, page: 0, pageCount: 3, paused: true, nextPageInMs: null}, 200, plain), /page 1\/3 · paused/);
	t.notRegex(titleLine({devices: [device()], page: 0, pageCount: 1, paused: false, nextPageInMs: null}, 200, plain), /page/);
	t.is(width(titleLine({devices, page: 0, pageCount: 1, paused: false, nextPageInMs: null}, 20, colored)), 20);
});

test('every key in the table is in the help and maps back to its intent', t => {
	const help = wallHelpLines().join('\n');
	for (const binding of wallKeys.bindings) {
		t.true(help.includes(binding.description));
	}

	for (const entry of wallKeyNames()) {
		for (const name of entry.names) {
			t.is(wallIntent(name), entry.intent);
		}
	}

	t.deepEqual(wallKeyNames().find(entry => entry.intent === 'quit')?.names, ['q', 'C-c']);
	t.deepEqual(wallKeyNames().find(entry => entry.intent === 'previousPage')?.names, ['left', 'up', 'pageup']);
	t.deepEqual(wallKeyNames().find(entry => entry.intent === 'pause')?.names, ['p', 'space']);
	t.is(wallIntent('x'), undefined);
	t.regex(help, /nothing here changes a device/);
});

test('real data: a demo device polled by the store with a node exporter gives a memory and a CPU series', async t => {
	const demo = await startDemoDevice();
	const exporter = await startNodeExporter();
	t.teardown(async () => {
		await exporter.stop();
		await demo.stop();
	});
	const store = createFleetStore({targets: [targetFromUrl(demo.url)], pollIntervalMs: 300, nodeExporter: () => exporter.url});
	t.teardown(() => {
		store.stop();
	});
	store.start();
	const snapshot = await new Promise<DeviceSnapshot>(resolve => {
		store.subscribe(next => {
			const [only] = next.devices;
			if (only && only.memoryHistory.values.length >= 3 && (only.node?.cpuPercent.values.length ?? 0) >= 2) {
				resolve(only);
			}
		});
	});
	const model = chartModel(snapshot, {width: 60, height: 12}, colored);
	t.deepEqual(model.series.map(entry => entry.title), ['mem', 'cpu']);
	t.true(model.series[0].y.every(value => value > 0 && value < 100));
	t.true(model.series[1].y.every(value => value >= 0 && value <= 100));
	t.true(model.series[0].y.length >= 2);
	t.regex(stripSgr(tileHeader(snapshot, 80, colored)), new RegExp(`^${demo.hostname} · 127\\.0\\.0\\.1:${demo.port} +● online$`));
	const gauge = permGauge(snapshot, colored);
	t.true(gauge.percent !== null && gauge.percent > 0);
	const table = serviceTable(snapshot, {width: 60, height: 20}, plain);
	// Just started: the web UI's rule calls a service under 5 s old "restarting".
	t.true(table.rows.some(row => /^golink +(?:▶ running|↻ restarting)/.test(row)));
});

test('with Prometheus the title counts its alerts; a tile and a list row name the device\'s first alert before its health', t => {
	const devices = [device(), device({name: 'b'})];
	const title = (alerts: {firing: number; pending: number} | null) => titleLine({devices, page: 0, pageCount: 1, paused: false, nextPageInMs: null, alerts}, 200, plain);
	t.regex(title({firing: 2, pending: 1}), /2 online · ⚑ 2 alerts firing, 1 pending {3}\? keys/);
	t.regex(title({firing: 1, pending: 0}), /⚑ 1 alert firing {3}/);
	t.regex(title({firing: 0, pending: 0}), /2 online · no alerts/);
	t.notRegex(title(null), /alert/, 'not read yet (or no --prometheus): nothing said');
	t.true(titleLine({devices, page: 0, pageCount: 1, paused: false, nextPageInMs: null, alerts: {firing: 2, pending: 0}}, 200, colored).includes(colored.paint(' · ⚑ 2 alerts firing', 'bad')));
	const alert = {text: '⚑ KrazyServiceCrashLooping /user/flaky +1', tone: 'bad' as const};
	const header = stripSgr(tileHeader(device({name: 'casa'}), 80, plain, {alert}));
	t.regex(header, /^casa +⚑ KrazyServiceCrashLooping \/user\/flaky \+1 {2}● online$/);
	t.is(width(header), 80);
	// No room for it next to the name: the health stays whole and the alert gives way.
	t.regex(stripSgr(tileHeader(device({name: 'casa'}), 30, plain, {alert})), /^casa +● online$/);
	t.regex(stripSgr(listRow(device({name: 'casa'}), 150, plain, undefined, alert)), /⚑ KrazyServiceCrashLooping \/user\/flaky \+1 {2}\d+ running/);
});
