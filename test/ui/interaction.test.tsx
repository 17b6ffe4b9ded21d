// The interaction design on the real dashboard component: Esc never quits, a message line above the key hints with a
// log behind it, configuration problems once and in full, the palette, --readonly feedback, sorting and [ ].
import React from 'react';
import test from 'ava';
import {render} from 'ink-testing-library';
import {Dashboard, type DashboardProps} from '../../source/ui/dashboard.js';
import {scriptedFleet} from './scripted-fleet.js';
import {keys, press, waitForFrame} from './frames.js';

function mount(props: Partial<DashboardProps> & Pick<DashboardProps, 'store'>, size = {columns: 80, rows: 24}) {
	const quits: number[] = [];
	const app = render(<Dashboard size={size} env={{}} onQuit={() => quits.push(1)} {...props} />);
	return {app, quits};
}

const lastLine = (frame: string) => frame.split('\n').at(-1) ?? '';

test('Esc on the device list never quits; q does', async t => {
	const {store} = scriptedFleet(['casa']);
	t.teardown(() => store.stop());
	const {app, quits} = mount({store});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => frame.includes('● online'));
	await press(app, keys.escape, keys.escape, keys.escape);
	// A key after the Escapes is drawn: the Escapes were handled before it.
	await press(app, 'j');
	await waitForFrame(app, frame => frame.includes('● online'));
	t.is(quits.length, 0);
	await press(app, 'q');
	await waitForFrame(app, () => quits.length === 1);
	t.is(quits.length, 1);
});

test('a broken config: its path once, with line and column, wrapped in full above the key hints; then in the message log', async t => {
	const {store} = scriptedFleet(['casa']);
	t.teardown(() => store.stop());
	const file = '/home/someone/gokrazy/a-rather-long-instance-name-for-a-device/config.json';
	const problem = `${file}: invalid JSON: expected a property name after "," (line 3, column 1)`;
	const {app} = mount({store, problems: [problem]});
	t.teardown(() => app.unmount());
	const frame = await waitForFrame(app, text => text.includes('● online') && text.includes('column 1)'));
	t.is(frame.split(file).length - 1, 1, 'the path once');
	t.regex(frame, /\(line 3,\s+column 1\)/);
	t.regex(lastLine(frame), /\? help .* q quit/, 'the key hints stay');
	await press(app, 'j');
	const after = await waitForFrame(app, text => !text.includes('column 1)'));
	t.regex(lastLine(after), /\? help/);
	await press(app, 'm');
	const log = await waitForFrame(app, text => text.includes('Messages · 1'));
	// The message in full: its lines after the time column, joined back, are the problem as given.
	// Between the title and the rule, and the overlay's own key hints at the bottom.
	t.regex(log.split('\n').at(-1)!, /m or Esc closes/);
	const lines = log.split('\n').slice(2, -1).filter(line => line.trim() !== '');
	t.regex(lines[0]!, /^\d\d:\d\d:\d\d /);
	t.is(lines.map(line => line.slice(9)).join('').replaceAll(' ', ''), problem.replaceAll(' ', ''), 'nothing cut (spaces aside)');
	await press(app, keys.escape);
	await waitForFrame(app, text => !text.includes('Messages ·') && text.includes('● online'));
});

test('the palette lists the commands of the view, filters them as typed, and runs the chosen one', async t => {
	const {store} = scriptedFleet(['casa', 'office']);
	t.teardown(() => store.stop());
	const {app} = mount({store});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => (frame.match(/● online/g) ?? []).length === 2);
	await press(app, ':');
	const open = await waitForFrame(app, frame => frame.includes('Commands ·'));
	t.regex(open, /reboot the device/);
	// More commands than rows: the sort orders are further down, reached by typing.
	t.regex(open, /Commands · \d{2} /);
	await press(app, 'b', 'y', ' ', 'n', 'a', 'm', 'e');
	const filtered = await waitForFrame(app, frame => frame.includes('Commands · 1 '));
	t.false(filtered.includes('reboot the device'));
	await press(app, keys.enter);
	const sorted = await waitForFrame(app, frame => frame.includes('ordered by name'));
	t.regex(sorted, /krazy-tui · 2 devices .* · by name/);
});

test('--readonly: r in the services says restart is off, and nothing is sent', async t => {
	const {store, devices} = scriptedFleet(['casa'], {readonly: true});
	t.teardown(() => store.stop());
	const {app} = mount({store, readonly: true});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => frame.includes('/user/golink'));
	await press(app, keys.enter, 'r');
	const frame = await waitForFrame(app, text => text.includes('read-only: restart is off'));
	t.regex(lastLine(frame), /\? help/);
	t.deepEqual(devices.get('casa')!.actions, []);
});

test('] moves to the next device from the services; a stale device\'s services say STALE at once', async t => {
	const {store, devices} = scriptedFleet(['casa', 'office'], {maxBackoffMs: 60_000});
	t.teardown(() => store.stop());
	const {app} = mount({store}, {columns: 100, rows: 30});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => (frame.match(/● online/g) ?? []).length === 2);
	await press(app, keys.enter, ']');
	await waitForFrame(app, frame => frame.includes('Services · office (casa)'));
	const {DeviceError} = await import('../../source/core/device-error.js');
	devices.get('office')!.failure = new DeviceError('office', 'unreachable', 'connection refused');
	const stale = await waitForFrame(app, frame => frame.includes('STALE: last known data'));
	t.regex(stale, /last seen .* · last known data/);
});

test('W proposes a file in the data folder, never the current one; Enter saves the log there', async t => {
	const {mkdtemp, readdir, readFile, rm} = await import('node:fs/promises');
	const {tmpdir} = await import('node:os');
	const path = await import('node:path');
	const dataDir = await mkdtemp(path.join(tmpdir(), 'krazy-save-'));
	t.teardown(async () => rm(dataDir, {recursive: true, force: true}));
	const {store, devices} = scriptedFleet(['casa']);
	t.teardown(() => store.stop());
	const {app} = mount({store, saveDirectory: dataDir}, {columns: 120, rows: 24});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => frame.includes('/user/golink'));
	await press(app, keys.enter, keys.enter);
	await waitForFrame(app, frame => frame.includes('Logs ·'));
	const stream = await waitForValueOf(() => devices.get('casa')!.streams[0]);
	stream.emitEvent({type: 'connected'});
	stream.lines([{stream: 'stdout', line: 'saved line one'}]);
	await waitForFrame(app, frame => frame.includes('saved line one'));
	await press(app, 'W');
	const dialog = await waitForFrame(app, frame => frame.includes('Save the log'));
	t.true(dialog.includes(path.join(dataDir, 'logs', 'krazy-casa-gokrazy_ntp-')), dialog);
	await press(app, keys.enter);
	const saved = await waitForValueOf(async () => {
		const files = await readdir(path.join(dataDir, 'logs')).catch(() => []);
		return files[0];
	});
	t.regex(await readFile(path.join(dataDir, 'logs', saved), 'utf8'), /saved line one/);
	t.is((await readdir(process.cwd())).filter(name => name.startsWith('krazy-casa-')).length, 0, 'nothing in the current folder');
});

test('the kill dialog is as wide as the terminal: at 50 columns the question wraps, the device name whole', async t => {
	const {store} = scriptedFleet(['a-device-with-a-long-name']);
	t.teardown(() => store.stop());
	const size = {columns: 50, rows: 24};
	const {app} = mount({store}, size);
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => frame.includes('/user/golink'));
	await press(app, keys.enter, 'K');
	const frame = await waitForFrame(app, text => text.includes('Kill with SIGKILL'));
	t.regex(frame.replaceAll(/[│\s]+/g, ' '), /on a-device-with-a-long-name\?/);
	for (const line of frame.split('\n')) {
		t.true([...line].length <= size.columns, line);
	}
});

test('a reboot asked for: rebooting, away while gone, then "back" in the row and in the message log', async t => {
	const {store, devices} = scriptedFleet(['casa']);
	t.teardown(() => store.stop());
	const {app} = mount({store});
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => frame.includes('● online'));
	await press(app, 'B', 'c', 'a', 's', 'a', keys.enter);
	await waitForFrame(app, frame => frame.includes('↻ rebooting'));
	const {DeviceError} = await import('../../source/core/device-error.js');
	devices.get('casa')!.failure = new DeviceError('casa', 'unreachable', 'connection refused');
	const away = await waitForFrame(app, frame => /↻ away \d+s/.test(frame));
	t.false(away.includes('✗ unreachable'), 'a reboot asked for is not reported as a failure');
	devices.get('casa')!.failure = null;
	const back = await waitForFrame(app, frame => frame.includes('● back') && frame.includes('casa: back after reboot'));
	t.regex(back, /casa: back after reboot \(away \d+ s\)/);
	await press(app, 'm');
	await waitForFrame(app, frame => /casa: reboot requested[\s\S]*casa: back after reboot/.test(frame));
});

async function waitForValueOf<T>(read: () => T | undefined | Promise<T | undefined>): Promise<T> {
	const {waitFor} = await import('../helpers/wait-for.js');
	return waitFor(read, {timeoutMs: 10_000, what: 'a value'});
}
