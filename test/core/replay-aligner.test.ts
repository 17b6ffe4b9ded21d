// The reconnect de-duplication: a replay of the last 100 lines must not show lines twice, and lost lines are marked.
import test from 'ava';
import fc from 'fast-check';
import {ReplayAligner, replayLines} from '../../source/core/log-stream.js';
import {waitFor} from '../helpers/wait-for.js';

function harness() {
	const delivered: string[] = [];
	const gaps: number[] = [];
	const aligner = new ReplayAligner((lines, gap) => {
		if (gap) {
			gaps.push(delivered.length);
		}

		delivered.push(...lines);
	});
	cleanups.push(() => {
		aligner.dispose();
	});
	return {aligner, delivered, gaps};
}

const cleanups: Array<() => void> = [];
test.afterEach.always(() => {
	for (const cleanup of cleanups.splice(0)) {
		cleanup();
	}
});

const numbered = (from: number, to: number) => Array.from({length: to - from}, (_, index) => `line ${from + index}`);

test('first connection: everything is new', t => {
	const {aligner, delivered, gaps} = harness();
	for (const line of numbered(0, 50)) {
		aligner.push(line);
	}

	t.deepEqual(delivered, numbered(0, 50));
	t.deepEqual(gaps, []);
});

test('reconnect with nothing new: the whole replay is hidden', t => {
	const {aligner, delivered, gaps} = harness();
	numbered(0, 150).forEach(line => aligner.push(line));
	aligner.reconnected();
	numbered(50, 150).forEach(line => aligner.push(line));
	t.is(delivered.length, 150);
	t.deepEqual(gaps, []);
	aligner.push('line 150');
	t.is(delivered.at(-1), 'line 150');
});

test('reconnect after 30 new lines: only those 30 appear', t => {
	const {aligner, delivered, gaps} = harness();
	numbered(0, 120).forEach(line => aligner.push(line));
	aligner.reconnected();
	numbered(50, 150).forEach(line => aligner.push(line));
	t.deepEqual(delivered, numbered(0, 150));
	t.deepEqual(gaps, []);
});

test('reconnect after more than 100 new lines: a gap is marked and the replay shown', t => {
	const {aligner, delivered, gaps} = harness();
	numbered(0, 100).forEach(line => aligner.push(line));
	aligner.reconnected();
	numbered(300, 400).forEach(line => aligner.push(line));
	t.deepEqual(gaps, [100]);
	t.deepEqual(delivered.slice(100), numbered(300, 400));
});

test('a short ring (fewer than 100 lines ever) aligns too', t => {
	const {aligner, delivered, gaps} = harness();
	['a', 'b', 'c'].forEach(line => aligner.push(line));
	aligner.reconnected();
	['a', 'b', 'c', 'd'].forEach(line => aligner.push(line));
	t.deepEqual(delivered, ['a', 'b', 'c', 'd']);
	t.deepEqual(gaps, []);
});

test('repeated identical lines prefer the longest overlap', t => {
	const {aligner, delivered} = harness();
	['x', 'x', 'x', 'y'].forEach(line => aligner.push(line));
	aligner.reconnected();
	['x', 'x', 'x', 'y', 'x'].forEach(line => aligner.push(line));
	t.deepEqual(delivered, ['x', 'x', 'x', 'y', 'x']);
});

test('a device that rebooted (empty ring) shows new lines after a gap', t => {
	const {aligner, delivered, gaps} = harness();
	['old 1', 'old 2'].forEach(line => aligner.push(line));
	aligner.reconnected();
	aligner.push('new 1');
	t.deepEqual(delivered, ['old 1', 'old 2', 'new 1']);
	t.deepEqual(gaps, [2]);
});

test('a stalled partial replay settles with what matched', t => {
	const {aligner, delivered} = harness();
	['a', 'b', 'c', 'd'].forEach(line => aligner.push(line));
	aligner.reconnected();
	['b', 'c'].forEach(line => aligner.push(line));
	t.deepEqual(delivered, ['a', 'b', 'c', 'd']);
	aligner.settle();
	// Nothing complete matched: the two lines are shown again after a gap marker rather than silently lost.
	t.deepEqual(delivered, ['a', 'b', 'c', 'd', 'b', 'c']);
});

test('a periodic history: four identical lines, then their replay and one new line, shows no duplicate', t => {
	const {aligner, delivered, gaps} = harness();
	['same', 'same', 'same', 'same'].forEach(line => aligner.push(line));
	aligner.reconnected();
	['same', 'same', 'same', 'same', 'new'].forEach(line => aligner.push(line));
	// Every shorter overlap (1, 2 or 3 lines) fits the first replayed lines too; only the longest is right.
	t.deepEqual(delivered, ['same', 'same', 'same', 'same', 'new']);
	t.deepEqual(gaps, []);
});

test('a periodic history of two alternating lines, replayed with two new lines, shows each once', t => {
	const {aligner, delivered} = harness();
	['tick', 'tock', 'tick', 'tock', 'tick', 'tock'].forEach(line => aligner.push(line));
	aligner.reconnected();
	['tick', 'tock', 'tick', 'tock', 'tick', 'tock', 'done 1', 'done 2'].forEach(line => aligner.push(line));
	t.deepEqual(delivered, ['tick', 'tock', 'tick', 'tock', 'tick', 'tock', 'done 1', 'done 2']);
});

test('property: any history from a two-line alphabet, replayed as the device would, is shown exactly once', t => {
	// The device replays the last 100 lines of everything it printed: what was shown, then the lines printed while
	// disconnected (distinct here, so the answer is not ambiguous). What is shown must be everything, once, in order,
	// with a gap marked exactly when more than 100 lines were printed meanwhile.
	t.notThrows(() => fc.assert(fc.property(
		fc.array(fc.constantFrom('x', 'y'), {minLength: 1, maxLength: replayLines}),
		fc.nat({max: replayLines + 20}),
		(history, newCount) => {
			const {aligner, delivered, gaps} = harness();
			history.forEach(line => aligner.push(line));
			aligner.reconnected();
			const fresh = Array.from({length: newCount}, (_, index) => `new ${index}`);
			const printed = [...history, ...fresh];
			printed.slice(-replayLines).forEach(line => aligner.push(line));
			aligner.settle();
			aligner.dispose();
			if (newCount >= replayLines) {
				return gaps.length === 1 && gaps[0] === history.length && delivered.slice(history.length).join() === printed.slice(-replayLines).join();
			}

			return gaps.length === 0 && delivered.join() === printed.join();
		},
	), {numRuns: 300}));
});

test('a periodic replay that stalls part way settles on the longest overlap too', t => {
	const {aligner, delivered, gaps} = harness();
	['same', 'same', 'same', 'same'].forEach(line => aligner.push(line));
	aligner.reconnected();
	['same', 'same'].forEach(line => aligner.push(line));
	aligner.settle();
	// Both lines fit the end of what was shown: neither is shown again.
	t.deepEqual(delivered, ['same', 'same', 'same', 'same']);
	t.deepEqual(gaps, []);
	aligner.push('after');
	t.deepEqual(delivered.at(-1), 'after');
});

// Serial: the afterEach of the tests around would dispose of its aligner (and its timer) while it waits.
test.serial('a replay that stalls settles by itself after the align timeout: the partial lines after a gap', async t => {
	const {aligner, delivered, gaps} = harness();
	['a', 'b', 'c', 'd'].forEach(line => aligner.push(line));
	aligner.reconnected();
	['b', 'c'].forEach(line => aligner.push(line));
	t.deepEqual(delivered, ['a', 'b', 'c', 'd'], 'nothing yet: the replay may still complete');
	// The aligner's own timer (1 s) ends the wait; the test's budget for it is 10 s.
	await waitFor(() => delivered.length > 4 || undefined, {timeoutMs: 10_000, what: 'the stalled replay to settle'});
	t.deepEqual(delivered, ['a', 'b', 'c', 'd', 'b', 'c']);
	t.deepEqual(gaps, [4]);
});

test('a reconnect before anything was shown aligns nothing: every line is new, no gap', t => {
	const {aligner, delivered, gaps} = harness();
	aligner.reconnected();
	['a', 'b'].forEach(line => aligner.push(line));
	t.deepEqual(delivered, ['a', 'b']);
	t.deepEqual(gaps, []);
});

test('only the last 100 shown lines are remembered: a replay of older lines is not taken for them', t => {
	const {aligner, delivered, gaps} = harness();
	numbered(0, 150).forEach(line => aligner.push(line));
	aligner.reconnected();
	// A device that restarted and printed the same first lines again: 'line 0' is older than the last 100 shown.
	numbered(0, 3).forEach(line => aligner.push(line));
	t.deepEqual(gaps, [150]);
	t.deepEqual(delivered.slice(150), numbered(0, 3));
});

test('a stalled replay whose start fits only the last shown line passes on what follows it, nothing lost', t => {
	const {aligner, delivered, gaps} = harness();
	['a', 'b', 'a'].forEach(line => aligner.push(line));
	aligner.reconnected();
	['a', 'b'].forEach(line => aligner.push(line));
	aligner.settle();
	// Only an overlap of one line ('a') is complete: 'b' may be new, so it is shown rather than dropped.
	t.deepEqual(delivered, ['a', 'b', 'a', 'b']);
	t.deepEqual(gaps, []);
});

test('a reconnect that ends before any line marks no gap and delivers nothing, not even an empty batch', t => {
	let calls = 0;
	const delivered: string[] = [];
	const gaps: number[] = [];
	const aligner = new ReplayAligner((lines, gap) => {
		calls++;
		if (gap) {
			gaps.push(delivered.length);
		}

		delivered.push(...lines);
	});
	t.teardown(() => {
		aligner.dispose();
	});
	['a', 'b'].forEach(line => aligner.push(line));
	aligner.reconnected();
	aligner.settle();
	t.deepEqual(gaps, []);
	aligner.reconnected();
	['a', 'b'].forEach(line => aligner.push(line));
	t.is(calls, 2, 'one call per shown line; a replay of nothing new calls nothing');
	t.deepEqual(delivered, ['a', 'b']);
});
