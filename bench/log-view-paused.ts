// Bench: what a frozen pause costs. A paused log view keeps its lines (the buffer grows past its 10 000-line cap for
// them), so a frame over a pinned buffer of 200 000 lines is measured against a frame of the followed view over the
// usual 10 000 (baseline, same run), and appending to the buffer while pinned against appending while following.
//
//   node --import=tsx bench/log-view-paused.ts [--lines 200000] [--frames 200]
import {parseArgs} from 'node:util';
import {LogBuffer} from '../source/core/log-buffer.js';
import {initialLogViewState, logViewReducer, logWindow, type LogViewState} from '../source/ui/log-view-state.js';
import {median, report} from './bench-util.js';

const {values} = parseArgs({options: {lines: {type: 'string', default: '200000'}, frames: {type: 'string', default: '200'}}});
const pausedLines = Number(values.lines);
const frames = Number(values.frames);
const batch = Array.from({length: 100}, (_, index) => ({stream: (index % 7 === 0 ? 'stderr' : 'stdout') as 'stdout' | 'stderr', line: `flood: line ${index} ${'x'.repeat(40)}`}));
const viewport = (buffer: LogBuffer) => ({buffer, rows: 40, width: 120});

function fill(buffer: LogBuffer, lines: number): number {
	const started = performance.now();
	for (let done = 0; done < lines; done += batch.length) {
		buffer.appendLines(batch);
	}

	return performance.now() - started;
}

function frameMs(state: LogViewState, buffer: LogBuffer): number {
	const started = performance.now();
	for (let frame = 0; frame < frames; frame++) {
		logWindow(state, viewport(buffer));
	}

	return (performance.now() - started) / frames;
}

const following: number[] = [];
const paused: number[] = [];
const appendFollowing: number[] = [];
const appendPaused: number[] = [];
for (let round = 0; round < 5; round++) {
	const usual = new LogBuffer();
	appendFollowing.push(fill(usual, pausedLines) / pausedLines * 1e6);
	following.push(frameMs(initialLogViewState, usual));
	const pinned = new LogBuffer();
	fill(pinned, 10_000);
	const state = logViewReducer(initialLogViewState, {type: 'pageUp'}, viewport(pinned));
	pinned.pin(state.topSeq);
	appendPaused.push(fill(pinned, pausedLines) / pausedLines * 1e6);
	paused.push(frameMs(state, pinned));
}

const frameRatio = median(paused) / median(following);
report(`log view paused over ${pausedLines} lines (5 rounds, median)`, [
	{name: 'followed view, 10 000-line buffer: one frame (baseline)', value: median(following), unit: 'ms'},
	{name: `paused view, pinned ${pausedLines}-line buffer: one frame`, value: median(paused), unit: 'ms'},
	{name: 'paused frame ÷ followed frame', value: frameRatio, unit: 'ratio', goal: '< 5', pass: frameRatio < 5},
	{name: 'append while following (baseline)', value: median(appendFollowing), unit: 'ns/line'},
	{name: 'append while paused (the ring grows)', value: median(appendPaused), unit: 'ns/line'},
	// Kept lines outlive the young generation, so the garbage collector copies them once: that is the price of holding still.
	{name: 'append paused ÷ following', value: median(appendPaused) / median(appendFollowing), unit: 'ratio'},
	{name: 'append while paused at 20 000 lines/s: share of one core', value: median(appendPaused) * 20_000 / 1e7, unit: '%', goal: '< 10 %', pass: median(appendPaused) * 20_000 / 1e7 < 10},
]);
