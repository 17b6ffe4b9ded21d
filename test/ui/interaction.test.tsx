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
	const lines = log.split('\n').slice(2).filter(line => line.trim() !== '' && !line.startsWith('? help'));
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
	t.regex(open, /order the lists by name/);
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
