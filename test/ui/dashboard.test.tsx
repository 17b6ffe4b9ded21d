// The dashboard component over the real fleet store (scripted devices answering with captured data), frame by frame.
import React from 'react';
import test from 'ava';
import {waitFor} from '../helpers/wait-for.js';
import {render} from 'ink-testing-library';
import {DeviceError} from '../../source/core/device-error.js';
import {Dashboard, type DashboardProps} from '../../source/ui/dashboard.js';
import {scriptedFleet} from './scripted-fleet.js';
import {keys, plain, press, waitForFrame, type App} from './frames.js';

function mount(props: Partial<DashboardProps> & Pick<DashboardProps, 'store'>, size = {columns: 80, rows: 24}) {
	const quits: number[] = [];
	const app = render(<Dashboard size={size} env={{}} onQuit={() => quits.push(1)} {...props} />);
	return {app, quits};
}

function assertFits(t: {true: (value: boolean, message?: string) => void}, frame: string, size: {columns: number; rows: number}) {
	const lines = frame.split('\n');
	t.true(lines.length <= size.rows - 1, `frame of ${lines.length} lines in a ${size.rows}-line terminal`);
	for (const line of lines) {
		t.true([...line].length <= size.columns, `line wider than ${size.columns}: ${line}`);
	}
}

test('every health is shown in words and marks; an offline device says when it was last seen', async t => {
	const {store, devices} = scriptedFleet(['casa', 'office', 'garage', 'attic']);
	t.teardown(() => store.stop());
	const {app} = mount({store});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => (frame.match(/● online/g) ?? []).length === 4);
	devices.get('office')!.failure = new DeviceError('office', 'unreachable', 'connection refused by office:80 (is the device up?)');
	devices.get('garage')!.failure = new DeviceError('garage', 'auth', 'wrong password');
	devices.get('attic')!.failure = new DeviceError('attic', 'tls', 'the certificate does not match');
	const frame = await waitForFrame(app, text => text.includes('unreachable') && text.includes('wrong password') && text.includes('TLS problem'));
	// Each device under its configured name; the hostname all of them report ("casa") is beside it.
	t.regex(frame, /✗ unreachable\s+office\s+last seen \d+ s ago/);
	t.regex(frame, /⚷ wrong password/);
	t.regex(frame, /⚠ TLS problem/);
	t.regex(frame, /3 not answering/);
	// The captured device: 4 running, 3 stopped.
	t.regex(frame, /● online\s+casa\s+unknown model.*4▶ 3■ 0↻/);
	assertFits(t, frame, {columns: 80, rows: 24});
});

test('navigate to a service, open its logs, see new lines arrive, search and go back', async t => {
	const {store, devices} = scriptedFleet(['casa', 'office']);
	t.teardown(() => store.stop());
	const {app} = mount({store}, {columns: 100, rows: 24});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => (frame.match(/● online/g) ?? []).length === 2);
	// Devices: casa, office → down selects office; Enter focuses its services; down → second service; Enter → logs.
	await press(app, keys.down, keys.enter, keys.down, keys.enter);
	const frame = await waitForFrame(app, text => text.includes('Logs ·'));
	// The device by its name, the hostname it reports beside it.
	t.regex(frame, /Logs · office \(casa\) \/user\/golink/);
	const office = devices.get('office')!;
	const stream = await waitForValue(() => office.streams[0]);
	stream.emitEvent({type: 'connected'});
	stream.lines([{stream: 'stdout', line: 'golink: request 1 served'}, {stream: 'stderr', line: 'golink: warning \u001b]0;evil title\u0007slow'}]);
	let logFrame = await waitForFrame(app, text => text.includes('request 1 served'));
	t.regex(logFrame, /out│golink: request 1 served/);
	t.regex(logFrame, /err│golink: warning slow/);
	t.false(app.lastFrame()!.includes('evil title'));
	stream.lines([{stream: 'stdout', line: 'golink: request 2 served'}]);
	logFrame = await waitForFrame(app, text => text.includes('request 2 served'));
	t.regex(logFrame, /following/);

	await press(app, '/', 'w', 'a', 'r', 'n', keys.enter);
	logFrame = await waitForFrame(app, text => text.includes('search "warn": 1 match'));
	t.regex(logFrame, /following/, 'a search does not pause a followed log');
	await press(app, 'N');
	logFrame = await waitForFrame(app, text => text.includes('search "warn": 1/1'));
	t.regex(logFrame, /paused/, 'going to a match does');
	await press(app, '&', 's', 'e', 'r', 'v', 'e', 'd', keys.enter);
	// The title names the filter (cut at 100 columns after the device's two names); the status line counts what it shows.
	logFrame = await waitForFrame(app, text => text.includes('filter "serve') && text.includes('2 shown'));
	t.false(logFrame.includes('warning'));
	t.regex(logFrame, /request 2 served/);
	await press(app, 'q');
	await waitForFrame(app, text => text.includes('Services · office (casa)') && !text.includes('Logs ·'));
	await waitForValue(() => (stream.closed ? true : undefined));
	t.true(stream.closed, 'leaving the log closes its stream');
});

async function waitForValue<T>(read: () => T | undefined): Promise<T> {
	return waitFor(read, {intervalMs: 15});
}

test('restart asks first, then the row shows the new pid without waiting for a poll', async t => {
	const {store, devices} = scriptedFleet(['casa'], {pollIntervalMs: 60_000});
	t.teardown(() => store.stop());
	const {app} = mount({store});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => frame.includes('/user/golink'));
	await press(app, keys.enter, keys.down, 'r');
	const dialog = await waitForFrame(app, frame => frame.includes('Restart /user/golink on casa?'));
	t.regex(dialog, /y or Enter: yes/);
	t.deepEqual(devices.get('casa')!.actions, [], 'nothing happens before the answer');
	await press(app, 'y');
	const frame = await waitForFrame(app, text => /\/user\/golink\s+▶ running\s+1000/.test(text));
	t.regex(frame, /restarted: pid 57 → 1000/);
	t.deepEqual(devices.get('casa')!.actions, ['restart /user/golink']);
	// Any other key is no.
	await press(app, 's');
	await waitForFrame(app, text => text.includes('Stop /user/golink on casa?'));
	await press(app, 'x');
	await waitForFrame(app, text => text.includes('stop cancelled'));
	t.deepEqual(devices.get('casa')!.actions, ['restart /user/golink']);
});

test('reboot needs the device name typed', async t => {
	const {store, devices} = scriptedFleet(['casa'], {pollIntervalMs: 60_000});
	t.teardown(() => store.stop());
	const {app} = mount({store});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => frame.includes('online'));
	await press(app, 'B');
	// The name to type is the name the row shows.
	await waitForFrame(app, frame => frame.includes('To reboot casa, type casa'));
	await press(app, 'c', 'a', 'z', keys.enter);
	await waitForFrame(app, frame => frame.includes('not "casa"'));
	t.deepEqual(devices.get('casa')!.actions, []);
	await press(app, keys.backspace, 's', 'a', keys.enter);
	await waitForFrame(app, frame => frame.includes('reboot requested'));
	t.deepEqual(devices.get('casa')!.actions, ['reboot']);
});

test('--readonly hides every action: no dialog, no hint, no help line', async t => {
	const {store, devices} = scriptedFleet(['casa'], {readonly: true});
	t.teardown(() => store.stop());
	const {app} = mount({store, readonly: true}, {columns: 100, rows: 60});
	t.teardown(() => app.unmount());
	const frame = await waitForFrame(app, text => text.includes('/user/golink'));
	t.regex(frame, /READ-ONLY/);
	await press(app, keys.enter, 'r', 's', 'K', 'B', 'b', 'f');
	await press(app, '?');
	const help = await waitForFrame(app, text => text.includes('Keys'));
	t.false(/restart the service/.test(help));
	t.regex(help, /read-only: actions/);
	t.false(help.includes('Restart /user'));
	t.deepEqual(devices.get('casa')!.actions, []);
});

test('the help lists every key of the table and scrolls in a short terminal', async t => {
	const {store} = scriptedFleet(['casa']);
	t.teardown(() => store.stop());
	const size = {columns: 80, rows: 12};
	const {app} = mount({store}, size);
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => frame.includes('casa'));
	await press(app, '?');
	const first = await waitForFrame(app, frame => frame.includes('Keys'));
	t.regex(first, /lines 1–\d+ of \d+/);
	assertFits(t, first, size);
	await press(app, keys.pageDown, keys.pageDown, keys.pageDown);
	const later = await waitForFrame(app, frame => frame !== first && frame.includes('Keys'));
	t.not(later.split('\n')[1], first.split('\n')[1]);
	await press(app, keys.escape);
	await waitForFrame(app, frame => !frame.includes('Keys ·'));
});

test('a 40×10 terminal keeps working and says what it cannot show; 20×5 says it is too small', async t => {
	const {store} = scriptedFleet(['casa', 'office']);
	t.teardown(() => store.stop());
	const {app} = mount({store}, {columns: 40, rows: 10});
	t.teardown(() => app.unmount());
	const small = await waitForFrame(app, frame => frame.includes('● online'));
	assertFits(t, small, {columns: 40, rows: 10});
	t.regex(small, /no room for/);
	app.rerender(<Dashboard store={store} size={{columns: 20, rows: 5}} env={{}} onQuit={() => undefined} />);
	const tiny = await waitForFrame(app, frame => frame.includes('too small'));
	assertFits(t, tiny, {columns: 20, rows: 5});
	app.rerender(<Dashboard store={store} size={{columns: 100, rows: 40}} env={{}} onQuit={() => undefined} />);
	const big = await waitForFrame(app, frame => frame.includes('Graphs ·'));
	assertFits(t, big, {columns: 100, rows: 40});
	t.regex(big, /mem .* of .*from gokrazy \/ \(JSON\)/);
	t.false(big.includes('no room for'));
});

test('escape sequences in device text never reach the terminal', async t => {
	const {store, devices} = scriptedFleet(['casa'], {pollIntervalMs: 50});
	t.teardown(() => store.stop());
	const casa = devices.get('casa');
	const {app} = mount({store});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => frame.includes('/user/golink'));
	const device = casa ?? devices.get('casa')!;
	device.overviewData = {
		...device.overviewData,
		hostname: 'evil\u001b]0;owned\u0007host\u001b[2J',
		model: 'pi\u001b[10;10H\u009b31m',
	};
	device.htmlData = {...device.htmlData, lastLog: new Map([['/user/golink', {stdout: 'ok\u001b]52;c;Y2xpcA==\u0007 line\r'}]])};
	const frame = await waitForFrame(app, text => text.includes('evilhost'));
	const raw = app.lastFrame()!;
	t.false(raw.includes(']0;'));
	t.false(raw.includes(']52;'));
	t.false(raw.includes('\u001b[2J'));
	t.false(raw.includes('\u001b[10;10H'));
	t.false(raw.includes('\u009b'));
	t.regex(frame, /out: ok line/);
});

test('NO_COLOR: no colour codes at all, the marks and words still say it', async t => {
	const {store} = scriptedFleet(['casa']);
	t.teardown(() => store.stop());
	const colourCode = /\u001b\[(3\d|9\d|4\d|10\d)(;\d+)*m/;
	const {app} = mount({store, env: {NO_COLOR: '1'}});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => frame.includes('/user/golink'));
	t.false(colourCode.test(app.lastFrame()!));
	t.regex(plain(app.lastFrame()), /● online/);
});

test('keys that arrive together are all handled', async t => {
	const {store} = scriptedFleet(['a', 'b', 'c', 'd']);
	t.teardown(() => store.stop());
	const {app} = mount({store});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => (frame.match(/● online/g) ?? []).length === 4);
	// One chunk with three arrow keys: a terminal delivers fast typing like this.
	app.stdin.write(`${keys.down}${keys.down}${keys.down}`);
	const frame = await waitForFrame(app, text => /▸ ● online\s+d\s+casa/.test(text.split('\n')[5] ?? ''));
	t.regex(frame.split('\n')[5]!, /▸/);
});

test('q quits from the device list; Ctrl+C from anywhere', async t => {
	const {store} = scriptedFleet(['casa']);
	t.teardown(() => store.stop());
	const {app, quits} = mount({store});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => frame.includes('online'));
	await press(app, keys.enter, 'q');
	await waitForFrame(app, frame => frame.includes('▸ ● online'));
	t.is(quits.length, 0, 'q in the service list goes back to the devices');
	await press(app, 'q');
	await waitForValue(() => (quits.length === 1 ? true : undefined));
	await press(app, '?', keys.ctrlC);
	await waitForValue(() => (quits.length === 2 ? true : undefined));
	t.pass();
});

void ({} as App);

test('the store is told which devices are on screen: the visible window of the list, following the selection', async t => {
	const names = Array.from({length: 40}, (_, index) => `dev-${String(index).padStart(2, '0')}`);
	const {store} = scriptedFleet(names, {pollIntervalMs: 60_000});
	const focus: string[][] = [];
	const setFocus = store.setFocus.bind(store);
	store.setFocus = devices => {
		focus.push(devices === null ? [] : [...devices]);
		setFocus(devices);
	};

	t.teardown(() => store.stop());
	const {app} = mount({store}, {columns: 100, rows: 24});
	t.teardown(() => app.unmount());
	const first = await waitForFrame(app, frame => (frame.match(/● online/g) ?? []).length >= 5);
	const shown = (frame: string) => names.filter(name => new RegExp(`\\b${name}\\b`).test(frame));
	await waitFor(() => focus.length > 0, {what: 'a focus'});
	t.deepEqual([...focus.at(-1)!].sort(), shown(first));
	t.true(shown(first).length < names.length, 'the terminal shows only part of the list');
	// Down to the end: the window follows, and so does the focus.
	await press(app, 'G');
	const last = await waitForFrame(app, frame => frame.includes('dev-39'));
	await waitFor(() => focus.at(-1)!.includes('dev-39'), {what: 'the focus follows to the end of the list'});
	t.deepEqual([...focus.at(-1)!].sort(), shown(last));
	t.false(focus.at(-1)!.includes('dev-00'));
});
