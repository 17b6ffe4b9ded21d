// The log view's windowing and reducer: follow, paused scrollback, search with n/N, filter, streams, wrap.
import test from 'ava';
import {LogBuffer} from '../../source/core/log-buffer.js';
import {initialLogViewState, logViewReducer, logWindow, type LogViewState, type LogViewport} from '../../source/ui/log-view-state.js';

function bufferWith(count: number): LogBuffer {
	const buffer = new LogBuffer(1000);
	buffer.appendLines(Array.from({length: count}, (_, index) => ({stream: index % 4 === 3 ? 'stderr' : 'stdout', line: `line ${index}${index % 10 === 5 ? ' needle' : ''}`})));
	return buffer;
}

const texts = (state: LogViewState, viewport: LogViewport) => logWindow(state, viewport).rows.map(row => row.text);

test('following shows the newest lines, exactly as many as fit', t => {
	const viewport = {buffer: bufferWith(100), rows: 5, width: 80};
	t.deepEqual(texts(initialLogViewState, viewport), ['line 95 needle', 'line 96', 'line 97', 'line 98', 'line 99']);
	viewport.buffer.appendLines([{stream: 'stdout', line: 'line 100'}]);
	t.deepEqual(texts(initialLogViewState, viewport).at(-1), 'line 100');
});

test('paging up pauses and keeps the place while new lines arrive; G follows again', t => {
	const viewport = {buffer: bufferWith(100), rows: 5, width: 80};
	let state = logViewReducer(initialLogViewState, {type: 'pageUp'}, viewport);
	t.false(state.follow);
	t.deepEqual(texts(state, viewport), ['line 91', 'line 92', 'line 93', 'line 94', 'line 95 needle']);
	viewport.buffer.appendLines([{stream: 'stdout', line: 'new'}]);
	t.deepEqual(texts(state, viewport)[0], 'line 91');
	state = logViewReducer(state, {type: 'top'}, viewport);
	t.deepEqual(texts(state, viewport)[0], 'line 0');
	state = logViewReducer(state, {type: 'pageDown'}, viewport);
	t.deepEqual(texts(state, viewport)[0], 'line 4');
	state = logViewReducer(state, {type: 'bottom'}, viewport);
	t.true(state.follow);
	t.deepEqual(texts(state, viewport).at(-1), 'new');
});

test('search jumps to the newest match, n and N walk the matches and wrap around', t => {
	const viewport = {buffer: bufferWith(40), rows: 5, width: 80};
	let state = logViewReducer(initialLogViewState, {type: 'beginInput', kind: 'search'}, viewport);
	state = logViewReducer({...state, input: {kind: 'search', text: 'NEEDLE'}}, {type: 'inputCommit'}, viewport);
	t.is(state.search, 'NEEDLE');
	t.is(state.currentMatch, 35);
	t.false(state.follow);
	t.true(texts(state, viewport).includes('line 35 needle'));
	t.is(logWindow(state, viewport).matchCount, 4);
	state = logViewReducer(state, {type: 'previousMatch'}, viewport);
	t.is(state.currentMatch, 25);
	state = logViewReducer(state, {type: 'nextMatch'}, viewport);
	state = logViewReducer(state, {type: 'nextMatch'}, viewport);
	t.is(state.currentMatch, 5, 'wraps around to the first match');
	const none = logViewReducer({...state, search: 'absent'}, {type: 'nextMatch'}, viewport);
	t.regex(none.notice!, /no line matches "absent"/);
});

test('the filter hides other lines, the stream choice too; markers always show', t => {
	const buffer = bufferWith(20);
	buffer.appendGap('reconnect');
	const viewport = {buffer, rows: 10, width: 80};
	const filtered = {...initialLogViewState, filter: 'needle'};
	t.deepEqual(texts(filtered, viewport), ['line 5 needle', 'line 15 needle', 'lines were lost (reconnected)']);
	const stderr = logViewReducer(logViewReducer(initialLogViewState, {type: 'cycleStreams'}, viewport), {type: 'cycleStreams'}, viewport);
	t.is(stderr.streams, 'stderr');
	t.true(logWindow(stderr, viewport).rows.every(row => row.kind === 'gap' || row.stream === 'stderr'));
	t.is(logViewReducer(stderr, {type: 'cycleStreams'}, viewport).streams, 'both');
});

test('wrapping splits long lines into rows, never more rows than the pane', t => {
	const buffer = new LogBuffer(10);
	buffer.appendLines([{stream: 'stdout', line: 'short'}, {stream: 'stdout', line: 'x'.repeat(1000)}]);
	const viewport = {buffer, rows: 6, width: 24};
	const cut = logWindow(initialLogViewState, viewport);
	t.is(cut.rows.length, 2);
	const wrapped = logWindow({...initialLogViewState, wrap: true}, viewport);
	t.is(wrapped.rows.length, 6);
	t.true(wrapped.rows.slice(1).every(row => row.continuation));
	t.true(wrapped.rows.every(row => row.text.length <= 20));
});
