// The log view's windowing and reducer: follow, paused scrollback, search with n/N, filter, streams, wrap.
import test from 'ava';
import {LogBuffer} from '../../source/core/log-buffer.js';
import {initialLogViewState, logLeadWidth, logViewReducer, logWindow, matchRanges, parseQuery, type LogViewState, type LogViewport} from '../../source/ui/log-view-state.js';

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

test('search in a followed log keeps following with the matches counted; n and N walk them (pausing), with a position, and wrap around', t => {
	const viewport = {buffer: bufferWith(40), rows: 5, width: 80};
	let state = logViewReducer(initialLogViewState, {type: 'beginInput', kind: 'search'}, viewport);
	state = logViewReducer({...state, input: {kind: 'search', text: 'NEEDLE'}}, {type: 'inputCommit'}, viewport);
	t.is(state.search, 'NEEDLE');
	t.true(state.follow, 'committing a search does not pause');
	t.is(state.currentMatch, null);
	t.is(logWindow(state, viewport).matchCount, 4);
	t.is(logWindow(state, viewport).matchIndex, null);
	state = logViewReducer(state, {type: 'previousMatch'}, viewport);
	t.false(state.follow, 'moving to a match pauses');
	t.is(state.currentMatch, 35);
	t.true(texts(state, viewport).includes('line 35 needle'));
	t.is(logWindow(state, viewport).matchIndex, 4, 'the newest of 4 matches is 4/4');
	state = logViewReducer(state, {type: 'previousMatch'}, viewport);
	t.is(state.currentMatch, 25);
	t.is(logWindow(state, viewport).matchIndex, 3);
	state = logViewReducer(state, {type: 'nextMatch'}, viewport);
	state = logViewReducer(state, {type: 'nextMatch'}, viewport);
	t.is(state.currentMatch, 5, 'wraps around to the first match');
	t.is(logWindow(state, viewport).matchIndex, 1);
	const none = logViewReducer({...state, search: 'absent'}, {type: 'nextMatch'}, viewport);
	t.regex(none.notice!, /no line matches "absent"/);
});

test('follow rules: neither a search nor a filter changes following or pausing; a paused search goes to the first match from the view on', t => {
	const viewport = {buffer: bufferWith(40), rows: 5, width: 80};
	const commit = (state: LogViewState, kind: 'search' | 'filter', text: string) => logViewReducer({...state, input: {kind, text}}, {type: 'inputCommit'}, viewport);
	t.true(commit(initialLogViewState, 'filter', 'needle').follow);
	t.true(commit(initialLogViewState, 'search', 'needle').follow);
	const paused = logViewReducer(logViewReducer(initialLogViewState, {type: 'top'}, viewport), {type: 'down'}, viewport);
	t.is(paused.topSeq, 1);
	const filtered = commit(paused, 'filter', 'needle');
	t.false(filtered.follow);
	t.is(filtered.topSeq, 1);
	t.deepEqual(texts(filtered, viewport), ['line 5 needle', 'line 15 needle', 'line 25 needle', 'line 35 needle']);
	const searched = commit(paused, 'search', 'needle');
	t.false(searched.follow);
	t.is(searched.currentMatch, 5);
});

test('regular expressions (/re/) in searches and filters, inverse filters (!text), and a clear message for a broken expression', t => {
	const viewport = {buffer: bufferWith(40), rows: 50, width: 80};
	t.deepEqual(texts({...initialLogViewState, filter: '/line [12]5 /'}, viewport), ['line 15 needle', 'line 25 needle']);
	const inverse = texts({...initialLogViewState, filter: '!line 1'}, viewport);
	t.is(inverse.length, 40 - 11);
	t.false(inverse.some(text => text.startsWith('line 1')));
	t.is(texts({...initialLogViewState, filter: '!/^line \\d( needle)?$/'}, viewport).length, 30, 'an inverted regex');
	t.is(logWindow({...initialLogViewState, search: '/NEEDLE$/'}, viewport).matchCount, 4, 'regexes ignore case');
	t.is(logWindow({...initialLogViewState, search: '!line'}, viewport).matchCount, 0, 'a search is never inverted: ! is literal');
	const broken = logViewReducer({...initialLogViewState, input: {kind: 'filter', text: '/(unclosed/'}}, {type: 'inputCommit'}, viewport);
	t.regex(broken.notice!, /^not a regular expression: /);
	t.deepEqual(broken.input, {kind: 'filter', text: '/(unclosed/'}, 'the field stays open to be fixed');
	t.is(broken.filter, '');
	t.is(logViewReducer(broken, {type: 'inputText', text: ''}, viewport).notice, null, 'editing the field clears the complaint');
	t.deepEqual(matchRanges('a needle and a NEEDLE', parseQuery('/ne+dle/')), [[2, 8], [15, 21]]);
});

test('paused means frozen: the buffer keeps the paused view\'s lines past its line cap, and the view counts what arrived', t => {
	const buffer = new LogBuffer(20);
	buffer.appendLines(Array.from({length: 20}, (_, index) => ({stream: 'stdout' as const, line: `flood: line ${index}`})));
	const viewport = {buffer, rows: 5, width: 80};
	const state = logViewReducer(initialLogViewState, {type: 'up'}, viewport);
	t.false(state.follow);
	t.is(state.pausedAt, 20);
	const before = texts(state, viewport);
	buffer.pin(state.topSeq);
	buffer.appendLines(Array.from({length: 500}, (_, index) => ({stream: 'stdout' as const, line: `flood: line ${20 + index}`})));
	t.deepEqual(texts(state, viewport), before, 'the paused view shows the same lines');
	t.is(buffer.nextSeq - state.pausedAt!, 500);
	t.is(buffer.firstSeq, state.topSeq, 'lines before the view may go, the view\'s may not');
	// Following again lets the ring rotate back to its cap.
	buffer.pin(null);
	buffer.appendLines([{stream: 'stdout', line: 'after'}]);
	t.is(buffer.size, 20);
	t.is(logViewReducer(state, {type: 'bottom'}, viewport).pausedAt, null);
});

test('the receive-time column and copy mode take their room from the text; copy mode wraps instead of cutting', t => {
	const buffer = new LogBuffer(10, undefined, () => Date.UTC(2026, 11, 2, 14, 5, 6, 7));
	buffer.appendLines([{stream: 'stdout', line: 'x'.repeat(100)}]);
	const viewport = {buffer, rows: 10, width: 40};
	t.is(logWindow(initialLogViewState, viewport).rows[0].text.length, 100, 'cut by the screen, not here');
	t.is(logWindow(initialLogViewState, viewport).rows[0].at, Date.UTC(2026, 11, 2, 14, 5, 6, 7));
	const timed = logWindow({...initialLogViewState, times: true, wrap: true}, viewport);
	t.true(timed.rows.every(row => row.text.length <= 40 - logLeadWidth({times: true, copy: false})));
	const copy = logWindow({...initialLogViewState, copy: true}, viewport);
	t.deepEqual(copy.rows.map(row => row.text.length), [40, 40, 20]);
	t.is(logViewReducer(initialLogViewState, {type: 'toggleTimes'}, viewport).times, true);
	t.is(logViewReducer(initialLogViewState, {type: 'toggleCopy'}, viewport).copy, true);
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
