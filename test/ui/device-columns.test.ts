// The device and service rows at the widths people use: what is cut last, what goes first, what a reboot reads as, and
// what a device that stopped answering shows (dimmed, marked, its uptimes frozen). Snapshots come from the real tracker.
import test from 'ava';
import {DeviceError} from '../../source/core/device-error.js';
import type {DeviceOverview, ServiceStatus} from '../../source/core/device-model.js';
import type {PollResult} from '../../source/core/device-poller.js';
import {targetFromUrl} from '../../source/core/device-target.js';
import {DeviceTracker} from '../../source/core/device-tracker.js';
import type {DeviceSnapshot} from '../../source/core/fleet-store.js';
import {deviceColumns, deviceHeaderSegments, deviceRowSegments, healthWords} from '../../source/ui/components/device-table.js';
import {serviceRowSegments} from '../../source/ui/components/service-table.js';
import {busyText, expandHome, footerHints} from '../../source/ui/dashboard.js';
import {paletteFor} from '../../source/ui/theme.js';
import {textWidth} from '../../source/display/columns.js';

const palette = paletteFor('mono', {});
const start = 1_000_000_000;

function status(path: string, pid: number, startedAt: number): ServiceStatus {
	return {path, stopped: false, startTime: new Date(startedAt), pid, args: [], diverted: ''};
}

function overview(hostname: string, services: ServiceStatus[], model = 'Raspberry Pi 4 Model B Rev 1.5'): DeviceOverview {
	return {
		services, hostname, model, kernel: '6.1', buildTimestamp: '', sbomHash: '',
		memory: {total: 1000, available: 600}, perm: null, privateAddrs: [], publicAddrs: [], mountDevices: [], eeprom: null, permUuid: '',
	};
}

function success(at: number, data: DeviceOverview): PollResult {
	return {ok: true, startedAt: at - 5, at, overview: data, html: null, htmlError: null, node: null, nodeExporter: null};
}

function failure(at: number): PollResult {
	return {ok: false, at, error: new DeviceError('x', 'unreachable', 'connection refused'), consecutiveFailures: 1, nextAttemptInMs: 2000};
}

function tracked(name: string, hostname: string, services = 12, model?: string) {
	let time = start;
	const tracker = new DeviceTracker({name, target: targetFromUrl(`http://${hostname}`, name), capacity: 5, crashLoop: {restarts: 3, windowMs: 60_000}, now: () => time});
	const list = Array.from({length: services}, (_, index) => status(`/user/service${index}`, 100 + index, start - 3_600_000));
	tracker.applyPoll(success(time, overview(hostname, list, model)));
	return {
		tracker,
		advance(ms: number) {
			time += ms;
		},
		get now() {
			return time;
		},
	};
}

const rowText = (device: DeviceSnapshot, columns: ReturnType<typeof deviceColumns>, now = start) =>
	deviceRowSegments(device, {columns, selected: false, focused: false, now, palette}).map(segment => segment.text).join('');

test('80 columns: every name and hostname whole, counts whole, a model shared by every row dropped first', t => {
	const names = ['demo', 'withne', 'office', 'garage', 'attic', 'laboratory'];
	const devices = names.map((name, index) => tracked(name, `gokrazy-demo-0${index}`).tracker.snapshot());
	const columns = deviceColumns(devices, 80, 'medium', start);
	t.is(columns.model, 0, 'one model on every row tells no row apart');
	const header = deviceHeaderSegments(80, columns).map(segment => segment.text).join('');
	t.false(header.includes('MODEL'));
	for (const device of devices) {
		const row = rowText(device, columns);
		t.true(textWidth(row) <= 80, row);
		t.true(row.includes(` ${device.name} `), `the name whole: ${row}`);
		t.true(row.includes(device.overview!.hostname), `the hostname whole: ${row}`);
		t.true(row.includes('12▶ 0■ 0↻'), `the counts whole: ${row}`);
		t.false(row.includes('…'), `nothing cut: ${row}`);
	}
});

test('80 columns: different models are kept; a long name is cut only after everything else gave way', t => {
	const devices = [tracked('a', 'h-a', 1, 'Pi 4').tracker.snapshot(), tracked('b', 'h-b', 1, 'Pi 5').tracker.snapshot()];
	t.true(deviceColumns(devices, 80, 'medium', start).model > 0, 'models that differ tell rows apart');
	const long = tracked('a-device-with-a-really-very-long-configured-name', 'host', 1);
	const columns = deviceColumns([long.tracker.snapshot()], 80, 'medium', start);
	t.is(columns.host, 0, 'the hostname went first');
	t.is(columns.spark, 0, 'the sparkline went too');
	const row = rowText(long.tracker.snapshot(), columns);
	t.true(textWidth(row) <= 80);
	t.true(row.includes('1▶ 0■ 0↻'), row);
});

test('the same hostname as the name is not repeated; offline rows align with online ones, "never seen" included', t => {
	const same = tracked('casa', 'casa').tracker.snapshot();
	const away = tracked('garage', 'gokrazy-garage');
	away.advance(2000);
	away.tracker.applyPoll(failure(away.now));
	const never = new DeviceTracker({name: 'attic', target: targetFromUrl('http://attic', 'attic'), capacity: 5, crashLoop: {restarts: 3, windowMs: 60_000}, now: () => start});
	never.applyPoll(failure(start));
	const devices = [same, away.tracker.snapshot(), never.snapshot()];
	const columns = deviceColumns(devices, 100, 'medium', away.now);
	const rows = devices.map(device => rowText(device, columns, away.now));
	t.is(rows[0]!.match(/casa/g)?.length, 1);
	t.regex(rows[1]!, /last seen 2 s ago · last known data/);
	t.regex(rows[2]!, /never seen/);
	const nameAt = (row: string, name: string) => row.indexOf(name);
	t.is(nameAt(rows[1]!, 'garage'), nameAt(rows[0]!, 'casa'));
	t.is(nameAt(rows[2]!, 'attic'), nameAt(rows[0]!, 'casa'));
	t.is(rows[2]!.indexOf('never seen'), rows[1]!.indexOf('last seen'), 'the "seen" words start in one column');
});

test('a reboot asked for reads "rebooting", then "away N s" while gone, then "back" for a minute', t => {
	const casa = tracked('casa', 'casa');
	casa.tracker.setPower({kind: 'reboot', phase: 'pending', text: 'rebooting…', startedAt: casa.now, finishedAt: null});
	t.deepEqual(healthWords(casa.tracker.snapshot(), casa.now), {text: '↻ rebooting', tone: 'warn'});
	casa.advance(1000);
	casa.tracker.applyPoll(failure(casa.now));
	casa.advance(14_000);
	t.deepEqual(healthWords(casa.tracker.snapshot(), casa.now), {text: '↻ away 14s', tone: 'warn'});
	casa.tracker.applyPoll(success(casa.now, overview('casa', [status('/user/a', 5, casa.now - 2000)])));
	t.deepEqual(healthWords(casa.tracker.snapshot(), casa.now), {text: '● back', tone: 'ok'});
	t.is(casa.tracker.snapshot().services[0]!.state, 'running', 'no "restarting" flash after the reboot');
	t.deepEqual(healthWords(casa.tracker.snapshot(), casa.now + 61_000), {text: '● online', tone: 'ok'});
});

test('a device that stops answering: its services are dimmed at once, their uptime frozen at the last answer', t => {
	const casa = tracked('casa', 'casa', 1);
	const seenAt = casa.now;
	casa.advance(30_000);
	casa.tracker.applyPoll(failure(casa.now));
	const device = casa.tracker.snapshot();
	t.true(device.stale);
	const service = device.services[0]!;
	const options = {width: 100, mode: 'medium' as const, selected: false, focused: false, palette};
	const stale = serviceRowSegments(service, {...options, stale: true, seenAt: device.lastSeen, now: casa.now + 600_000});
	t.true(stale.every(segment => segment.dim), 'every cell dimmed');
	t.regex(stale.map(segment => segment.text).join(''), /1h00m/, 'the uptime as it was at the last answer');
	t.is(device.lastSeen, seenAt);
	const live = serviceRowSegments(service, {...options, stale: false, now: casa.now + 600_000});
	t.notDeepEqual(live.map(segment => segment.text), stale.map(segment => segment.text));
});

test('every state label fits at 80 columns, "! crash-looping" included', t => {
	let time = start;
	const tracker = new DeviceTracker({name: 'casa', target: targetFromUrl('http://casa', 'casa'), capacity: 5, crashLoop: {restarts: 3, windowMs: 60_000}, now: () => time});
	for (let pid = 1; pid <= 5; pid++) {
		tracker.applyPoll(success(time, overview('casa', [status('/user/crasher', pid, time - 500)])));
		time += 2000;
	}

	const service = tracker.snapshot().services[0]!;
	t.is(service.state, 'crash-looping');
	for (const mode of ['narrow', 'medium'] as const) {
		const row = serviceRowSegments(service, {width: mode === 'narrow' ? 40 : 80, mode, selected: false, focused: false, stale: false, now: time, palette}).map(segment => segment.text).join('');
		t.true(row.includes('! crash-looping '), row);
	}
});

test('the footer keeps ? help, Enter open and q quit at any width, and more keys as room allows', t => {
	for (const width of [40, 60, 80, 140]) {
		for (const focus of ['devices', 'services'] as const) {
			const hints = footerHints(focus, false, width);
			t.true(textWidth(hints) <= width || width < 40, `${width}: ${hints}`);
			t.regex(hints, /\? help/);
			t.regex(hints, /q quit/);
		}
	}

	t.regex(footerHints('devices', false, 80), /\/ filter.*B reboot/);
	t.true(footerHints('services', false, 140).length > footerHints('services', false, 80).length);
});

test('quitting is held up only by a service action waiting for its result; ~ in a save path is the home folder', t => {
	const casa = tracked('casa', 'casa', 1);
	t.is(busyText([casa.tracker.snapshot()]), null);
	casa.tracker.setServiceAction('/user/service0', {kind: 'restart', phase: 'pending', text: 'restarting…', startedAt: casa.now, finishedAt: null});
	t.is(busyText([casa.tracker.snapshot()]), 'the restart of /user/service0 on casa');
	t.is(expandHome('~/logs/x.log', '/home/me'), '/home/me/logs/x.log');
	t.is(expandHome('logs/x.log', '/home/me'), 'logs/x.log');
});
