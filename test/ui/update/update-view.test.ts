// The update pane's state, key by key and event by event: what a device row says in each phase, the questions and
// their answers (anything but yes is no; a typed name for a rollback), marks, pending reboots. No job, no renderer.
import test from 'ava';
import fc from 'fast-check';
import type {DeviceSnapshot} from '../../../source/core/fleet-snapshot.js';
import type {BuildRef, GateRow, UpdateEvent, UpdatePlan} from '../../../source/core/update/update-events.js';
import type {KeyEvent} from '../../../source/input/key-table.js';
import {paneContext, updatePaneKey} from '../../../source/ui/update/update-keys.js';
import {updateHints, updatePaneLines} from '../../../source/ui/update/update-pane-lines.js';
import {paletteFor} from '../../../source/ui/theme.js';
import {buildChange, buildClock, initialUpdateView, rowNote, updateViewReducer, type UpdateViewState} from '../../../source/ui/update/update-view.js';

const noKey: KeyEvent = {
	upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageUp: false, pageDown: false, home: false, end: false,
	return: false, escape: false, tab: false, backspace: false, delete: false, ctrl: false, meta: false, shift: false,
};
const enter = {...noKey, return: true};
const escape = {...noKey, escape: true};
const ctrlC = {...noKey, ctrl: true};

const from: BuildRef = {buildTimestamp: '2026-12-02T12:04:00Z', sbomHash: 'a'.repeat(64)};
const to: BuildRef = {buildTimestamp: '2026-12-02T12:31:00Z', sbomHash: 'b'.repeat(64)};
const plan: UpdatePlan = {
	device: 'casa', kind: 'update', from, to, archive: '/tmp/next.gaf', parts: [{part: 'root', bytes: 1000}, {part: 'boot', bytes: 200}, {part: 'mbr', bytes: 446}],
	diff: {added: ['github.com/gokrazy/hello'], removed: [], changed: []}, notes: [], mode: 'switch', reboot: true, settleSeconds: 30,
};

function device(name: string, build: BuildRef = from): DeviceSnapshot {
	return {name, overview: {buildTimestamp: build.buildTimestamp, sbomHash: build.sbomHash}} as unknown as DeviceSnapshot;
}

function feed(state: UpdateViewState, ...events: UpdateEvent[]): UpdateViewState {
	return events.reduce((current, event) => updateViewReducer(current, {type: 'event', event, now: 1000}), state);
}

function started(devices = ['casa']): UpdateViewState {
	return updateViewReducer(initialUpdateView, {type: 'session', session: {kind: 'update', devices, running: true, cancelling: false}, now: 1000});
}

test('the row follows the job: queued, pushing N %, rebooting, away 14 s, back: build 12:04 → 12:31, then updated with the gate passed', t => {
	let state = started(['casa', 'garage']);
	t.is(rowNote(state, device('garage'), 1000)?.text, 'update queued');
	state = feed(state, {type: 'phase', device: 'casa', phase: 'check'}, {type: 'plan', device: 'casa', plan}, {type: 'phase', device: 'casa', phase: 'push'});
	state = feed(state, {type: 'push', device: 'casa', part: 'root', bytes: 500, total: 1000, bytesPerSecond: 100, etaSeconds: 5});
	// 500 of 1646 bytes.
	t.is(rowNote(state, device('casa'), 1000)?.text, 'pushing 30%');
	state = feed(state, {type: 'pushed', device: 'casa', part: 'root', bytes: 1000, seconds: 1, sha256: 'c'.repeat(64)}, {type: 'switched', device: 'casa', mode: 'switch'}, {type: 'phase', device: 'casa', phase: 'reboot'});
	t.is(rowNote(state, device('casa'), 1000)?.text, 'rebooting');
	state = feed(state, {type: 'wait', device: 'casa', state: 'away', seconds: 14, from});
	t.deepEqual(rowNote(state, device('casa'), 1000), {text: 'away 14 s', tone: 'warn'});
	state = feed(state, {type: 'wait', device: 'casa', state: 'back', seconds: 17, from, to});
	t.is(rowNote(state, device('casa'), 1000)?.text, `back: build ${buildClock(from)} → ${buildClock(to)}`);
	const rows: GateRow[] = [{path: '/user/golink', before: {state: 'running', pid: 10}, after: {state: 'running', pid: 20}, restarts: 0, ok: true}];
	state = feed(state, {type: 'phase', device: 'casa', phase: 'gate'}, {type: 'gate', device: 'casa', remainingSeconds: 12, rows});
	t.regex(rowNote(state, device('casa'), 1000)!.text, /gate 12 s$/);
	state = feed(state, {type: 'done', device: 'casa', result: {device: 'casa', kind: 'update', from, to, standing: 'rebooted', downtimeSeconds: 17, services: rows}});
	t.deepEqual(rowNote(state, device('casa', to), 2000), {text: `updated: build ${buildClock(from)} → ${buildClock(to)} ✓ gate`, tone: 'ok'});
	// Ten minutes on, the row is the device's own again.
	t.is(rowNote(state, device('casa', to), 1000 + 11 * 60_000), undefined);
	// The pane shows the parts and the verdict.
	const lines = updatePaneLines(state, {width: 100, rows: 30, palette: paletteFor('mono', {}), readonly: false}).map(line => line.map(segment => segment.text).join(''));
	t.true(lines.some(line => /root +1.0 kB in 1s \(1.0 kB\/s\) +✓ SHA-256 matches the device's/.test(line)), lines.join('\n'));
	t.true(lines.some(line => line.startsWith('✓ health gate passed: 1 services, 0 failing')), lines.join('\n'));
	t.true(lines.some(line => line.includes('+github.com/gokrazy/hello')));
});

test('a gate that fails: a red row, the table with the failing service, and R offered', t => {
	let state = started();
	const rows: GateRow[] = [
		{path: '/user/golink', before: {state: 'running', pid: 10}, after: {state: 'restarting', pid: 30}, restarts: 5, ok: false, reason: 'restarted 5 times in 30 s', lastStderr: 'panic: boom'},
		{path: '/user/hello', before: null, after: {state: 'running', pid: 31}, restarts: 0, ok: true},
	];
	state = feed(state, {type: 'plan', device: 'casa', plan}, {type: 'gate', device: 'casa', remainingSeconds: 0, rows});
	state = feed(state, {type: 'failed', device: 'casa', phase: 'gate', message: 'casa: health gate failed after 30 s: /user/golink restarted 5 times in 30 s', switched: true, standing: 'rebooted'});
	state = updateViewReducer(state, {type: 'sessionEnded', ok: false, cancelled: false});
	t.deepEqual(rowNote(state, device('casa', to), 1000), {text: 'update gate FAILED', tone: 'bad'});
	const text = updatePaneLines(state, {width: 120, rows: 30, palette: paletteFor('mono', {})}).map(line => line.map(segment => segment.text).join(''));
	t.true(text.some(line => /\/user\/golink +running 10 +restarting 30 +5 +FAILED: restarted 5 times in 30 s · panic: boom/.test(line)), text.join('\n'));
	t.true(text.some(line => line.includes('R rolls back')));
	// Read-only: no way back offered.
	t.false(updatePaneLines(state, {width: 120, rows: 30, palette: paletteFor('mono', {}), readonly: true}).some(line => line.some(segment => segment.text.includes('R rolls back'))));
	t.is(paneContext(state), 'idle');
	t.regex(updateHints(state), /R roll back/);
});

test('switched without a reboot: "switched, reboot pending" until the device runs another build', t => {
	let state = started();
	state = feed(state, {type: 'plan', device: 'casa', plan}, {type: 'done', device: 'casa', result: {device: 'casa', kind: 'update', from, to, standing: 'switched', services: []}});
	state = updateViewReducer(state, {type: 'sessionEnded', ok: true, cancelled: false});
	t.is(rowNote(state, device('casa', from), 1000)?.text, 'switched, reboot pending');
	t.is(rowNote(state, device('casa', to), 1000), undefined, 'rebooted into the new build: nothing pending');
});

test('drift from the gok config is marked; a job in progress says more', t => {
	let state = updateViewReducer(initialUpdateView, {type: 'drift', device: 'casa', mark: 'drifted'});
	state = updateViewReducer(state, {type: 'drift', device: 'garage', mark: 'current'});
	t.is(rowNote(state, device('casa'), 0)?.text, '≠ gok config (drift)');
	t.is(rowNote(state, device('garage'), 0), undefined);
	state = feed(updateViewReducer(state, {type: 'session', session: {kind: 'update', devices: ['casa'], running: true, cancelling: false}}), {type: 'phase', device: 'casa', phase: 'build'});
	t.is(rowNote(state, device('casa'), 0)?.text, 'building (gok)');
});

test('confirming: y or Enter is yes, s is yes without the reboot, t a test boot; any other key is no', t => {
	fc.assert(fc.property(fc.string({minLength: 1, maxLength: 1}), input => {
		const state: UpdateViewState = {...started(), prompt: {kind: 'confirm', device: 'casa', plan}};
		const result = updatePaneKey(state, input, noKey);
		return result.state.prompt === null && result.command?.type === 'answer' && result.command.yes === (input === 'y' ? true : input === 's' ? 'no-reboot' : input === 't' ? 'testboot' : false);
	}));
	const state: UpdateViewState = {...started(), prompt: {kind: 'confirm', device: 'casa', plan}};
	t.deepEqual(updatePaneKey(state, '', enter).command, {type: 'answer', yes: true});
	t.deepEqual(updatePaneKey(state, '', escape).command, {type: 'answer', yes: false});
});

test('the archive path: the last one is offered, an empty one is refused, Esc closes without a job', t => {
	let state: UpdateViewState = {...initialUpdateView, lastArchive: '/srv/next.gaf', prompt: {kind: 'source', devices: ['casa']}};
	state = updatePaneKey(state, 'a', noKey).state;
	t.deepEqual(state.prompt, {kind: 'path', devices: ['casa'], text: '/srv/next.gaf'});
	t.deepEqual(updatePaneKey(state, '', enter).command, {type: 'archive', path: '/srv/next.gaf'});
	for (let i = 0; i < '/srv/next.gaf'.length; i++) {
		state = updatePaneKey(state, '', {...noKey, backspace: true}).state;
	}

	const empty = updatePaneKey(state, '', enter);
	t.is(empty.command, undefined);
	t.like(empty.state.prompt, {kind: 'path', error: 'type the path of a .gaf archive'});
	t.deepEqual(updatePaneKey(state, '', escape).command, {type: 'close'});
	// gok instances: b (or Enter) builds.
	t.deepEqual(updatePaneKey({...initialUpdateView, prompt: {kind: 'source', devices: ['casa']}}, 'b', noKey).command, {type: 'build'});
});

test('a rollback needs the device\'s name typed; a wrong name is said and nothing happens', t => {
	let state: UpdateViewState = {...initialUpdateView, focus: 'casa'};
	state = updatePaneKey(state, 'R', noKey).state;
	t.deepEqual(state.prompt, {kind: 'rollback', device: 'casa', typed: '', wrong: false});
	// Read-only: R does nothing.
	t.is(updatePaneKey({...initialUpdateView, focus: 'casa'}, 'R', noKey, {readonly: true}).state.prompt, null);
	for (const letter of 'cas') {
		state = updatePaneKey(state, letter, noKey).state;
	}

	const wrong = updatePaneKey(state, '', enter);
	t.is(wrong.command, undefined);
	t.true(wrong.state.prompt?.kind === 'rollback' && wrong.state.prompt.wrong);
	state = updatePaneKey(wrong.state, 'a', noKey).state;
	t.deepEqual(updatePaneKey(state, '', enter).command, {type: 'rollback', device: 'casa'});
});

test('while a job runs: Esc cancels a build but only leaves the pane during a push; Ctrl-C cancels; q asks before quitting', t => {
	const building = feed(started(), {type: 'phase', device: 'casa', phase: 'build'});
	t.is(paneContext(building), 'building');
	t.deepEqual(updatePaneKey(building, '', escape).command, {type: 'cancelJob'});
	const pushing = feed(started(), {type: 'phase', device: 'casa', phase: 'push'});
	t.deepEqual(updatePaneKey(pushing, '', escape).command, {type: 'close'});
	t.deepEqual(updatePaneKey(pushing, 'c', ctrlC).command, {type: 'cancelJob'});
	const asking = updatePaneKey(pushing, 'q', noKey).state;
	t.deepEqual(asking.prompt, {kind: 'quit'});
	t.deepEqual(updatePaneKey(asking, 'x', noKey).command, {type: 'stayAfterQuitQuestion'});
	t.deepEqual(updatePaneKey(asking, 'y', noKey).command, {type: 'quit'});
});

test('marks toggle in the order they were made', t => {
	let state = updateViewReducer(initialUpdateView, {type: 'toggleMark', device: 'shed'});
	state = updateViewReducer(state, {type: 'toggleMark', device: 'casa'});
	t.deepEqual(state.marked, ['shed', 'casa']);
	state = updateViewReducer(state, {type: 'toggleMark', device: 'shed'});
	t.deepEqual(state.marked, ['casa']);
});

test('the pane never draws more lines than it has, whatever gok printed', t => {
	t.notThrows(() => fc.assert(fc.property(fc.array(fc.string(), {maxLength: 300}), fc.integer({min: 1, max: 40}), (lines, rows) => {
		let state = feed(started(), {type: 'phase', device: 'casa', phase: 'build'});
		state = feed(state, ...lines.map(line => ({type: 'build-line' as const, device: 'casa', line})));
		state = {...state, prompt: {kind: 'quit'}};
		return updatePaneLines(state, {width: 60, rows, palette: paletteFor('mono', {})}).length <= rows;
	})));
});

test('two builds within the same minute are told apart by their seconds', t => {
	const first: BuildRef = {buildTimestamp: '2026-12-02T12:04:01Z', sbomHash: ''};
	const second: BuildRef = {buildTimestamp: '2026-12-02T12:04:02Z', sbomHash: ''};
	t.is(buildChange(first, second), `build ${buildClock(first, true)} → ${buildClock(second, true)}`);
	t.regex(buildChange(first, second), /^build \d\d:\d\d:01 → \d\d:\d\d:02$/);
	t.regex(buildChange(from, to), /^build \d\d:\d\d → \d\d:\d\d$/);
});

test('s (push and switch, reboot later) is only offered for an update, not a rollback', t => {
	const state: UpdateViewState = {...started(), prompt: {kind: 'confirm', device: 'casa', plan: {...plan, kind: 'rollback'}}};
	t.deepEqual(updatePaneKey(state, 's', noKey).command, {type: 'answer', yes: false});
	t.deepEqual(updatePaneKey(state, 't', noKey).command, {type: 'answer', yes: false});
});
