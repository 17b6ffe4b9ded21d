// The log screen as drawn: a paused view holds still on a flooding service, counts what arrived, says "cleared" after
// a clear, shows the search position, the receive-time column and a copy mode without marks.
import React from 'react';
import test from 'ava';
import {render} from 'ink-testing-library';
import {LogBuffer, type LogFollowerState} from '../../../source/core/log-buffer.js';
import {LineWidthContext} from '../../../source/ui/components/line.js';
import {LogView, logTitle} from '../../../source/ui/components/log-view.js';
import {rule, textWidth} from '../../../source/display/columns.js';
import {initialLogViewState, logViewReducer, type LogViewState} from '../../../source/ui/log-view-state.js';
import {plain, waitForFrame} from '../frames.js';

const connected: LogFollowerState = {connected: true, error: null, ended: false, received: 0, version: 1};
const flood = (buffer: LogBuffer, from: number, count: number) => {
	buffer.appendLines(Array.from({length: count}, (_, index) => ({stream: (index % 3 === 2 ? 'stderr' : 'stdout') as 'stdout' | 'stderr', line: `flood: line ${from + index}`})));
};

function view(buffer: LogBuffer, state: LogViewState, width = 100) {
	return <LineWidthContext.Provider value={width}><LogView buffer={buffer} followerState={connected} state={state} device="casa" service="/user/flood" serviceInfo={undefined} rows={10} width={width} readonly={false} /></LineWidthContext.Provider>;
}

const bodyLines = (frame: string) => frame.split('\n').slice(2, 9);

test('a paused view on a flooding service keeps its lines and says how many arrived; following again lets go', async t => {
	const buffer = new LogBuffer(50);
	flood(buffer, 0, 50);
	const viewport = {buffer, rows: 7, width: 100};
	const paused = logViewReducer(initialLogViewState, {type: 'pageUp'}, viewport);
	const app = render(view(buffer, paused));
	t.teardown(() => app.unmount());
	const before = bodyLines(await waitForFrame(app, frame => frame.includes('paused ▲')));
	t.is(buffer.pinned, paused.topSeq, 'the view pinned its first line');
	// Ten thousand lines later, 200 times the buffer's line cap, the view still shows the same lines.
	flood(buffer, 50, 10_000);
	app.rerender(view(buffer, paused));
	const after = await waitForFrame(app, frame => frame.includes('10000 new'));
	t.deepEqual(bodyLines(after), before);
	t.regex(after, /\d+ lines \(kept while paused; 50 when following\)/);
	t.false(after.includes('paused lines dropped'));
	const following = logViewReducer(paused, {type: 'bottom'}, viewport);
	app.rerender(view(buffer, following));
	await waitForFrame(app, frame => frame.includes('following ▼') && frame.includes('flood: line 10049'));
	t.is(buffer.pinned, null);
});

test('after c the status says cleared, not that lines were dropped because the buffer was full', async t => {
	const buffer = new LogBuffer(20);
	flood(buffer, 0, 200);
	const app = render(view(buffer, initialLogViewState));
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => frame.includes('180 older lines dropped (buffer full)'));
	buffer.clear();
	app.rerender(view(buffer, initialLogViewState));
	const frame = await waitForFrame(app, text => text.includes('cleared'));
	t.false(frame.includes('dropped'));
});

test('search position, receive times and a copy mode without stream marks, wrap marks or cut marks', async t => {
	const buffer = new LogBuffer(100, undefined, () => new Date(2026, 11, 2, 14, 5, 6, 789).getTime());
	flood(buffer, 0, 30);
	buffer.appendLines([{stream: 'stdout', line: `long ${'y'.repeat(150)} end`}]);
	const viewport = {buffer, rows: 7, width: 100};
	let state = logViewReducer({...initialLogViewState, input: {kind: 'search', text: '/line 1\\d$/'}}, {type: 'inputCommit'}, viewport);
	const app = render(view(buffer, state));
	t.teardown(() => app.unmount());
	await waitForFrame(app, frame => frame.includes('search "/line 1\\d$/": 10 matches'));
	state = logViewReducer(state, {type: 'nextMatch'}, viewport);
	state = logViewReducer(state, {type: 'nextMatch'}, viewport);
	app.rerender(view(buffer, state));
	await waitForFrame(app, frame => frame.includes('search "/line 1\\d$/": 2/10'));
	app.rerender(view(buffer, {...initialLogViewState, times: true}));
	const timed = await waitForFrame(app, frame => frame.includes('14:05:06.789 out│flood: line 27'));
	t.regex(timed, /14:05:06\.789 err│flood: line 29/);
	app.rerender(view(buffer, {...initialLogViewState, copy: true}));
	const copy = await waitForFrame(app, frame => frame.includes('copy mode'));
	const body = bodyLines(copy);
	t.false(body.some(line => /out│|err│|┆|…/.test(line)), body.join('\n'));
	t.is(body.join('').replace(/^.*long /s, 'long ').trimEnd(), `long ${'y'.repeat(150)} end`, 'the long line wrapped whole, with nothing added');
	t.is(plain(app.lastFrame()).split('\n').filter(line => line.startsWith('flood: line')).length, body.length - 2);
});

test('the pause holds while the help overlay replaces the log view', async t => {
	const buffer = new LogBuffer(50);
	flood(buffer, 0, 50);
	const paused = logViewReducer(initialLogViewState, {type: 'pageUp'}, {buffer, rows: 7, width: 100});
	const app = render(view(buffer, paused));
	await waitForFrame(app, frame => frame.includes('paused ▲'));
	app.unmount();
	flood(buffer, 50, 1000);
	t.is(buffer.pinned, paused.topSeq);
	t.is(buffer.firstSeq, paused.topSeq, 'the view\'s first line is still held');
});

test('the title cuts the device name first: the view\'s state and the search position stay at 100 columns', t => {
	const parts = ['paused ▲, 36 new (G follows)', 'search "warning": 3/3'];
	const line = rule(logTitle('127.0.0.1:34725 (gokrazy-demo)', '/user/chatty', parts, 100), 100);
	t.is(textWidth(line), 100);
	t.true(line.includes('/user/chatty · paused ▲, 36 new (G follows) · search "warning": 3/3'), line);
	t.regex(line, /^── Logs · 127\.0\.0\.1:34725 \(gok… \/user\/chatty · /);
	// When it fits, nothing is cut.
	t.is(logTitle('casa', '/user/flood', ['following ▼'], 100), 'Logs · casa /user/flood · following ▼');
	// Too narrow even for that: the device keeps 8 columns, and the end of the line goes.
	const narrow = rule(logTitle('127.0.0.1:34725 (gokrazy-demo)', '/user/chatty', parts, 40), 40);
	t.is(textWidth(narrow), 40);
	t.regex(narrow, /^── Logs · 127\.0\.0… \/user\/chatty · pause…$/);
});
