// The one batched notifier on a fake clock: a burst is one call, calls are at least an interval apart, urgent sooner.
import test from 'ava';
import {BatchedNotifier, type NotifierTimers} from '../../source/core/batched-notifier.js';

function fakeTime() {
	let time = 0;
	let timers: Array<{at: number; callback: () => void; id: number}> = [];
	let nextId = 1;
	const api: NotifierTimers = {
		set(callback, ms) {
			const id = nextId++;
			timers.push({at: time + ms, callback, id});
			return id;
		},
		clear(handle) {
			timers = timers.filter(timer => timer.id !== handle);
		},
	};
	return {
		now: () => time,
		timers: api,
		advance(ms: number) {
			const end = time + ms;
			for (;;) {
				const next = timers.filter(timer => timer.at <= end).sort((a, b) => a.at - b.at)[0];
				if (!next) {
					break;
				}

				timers = timers.filter(timer => timer !== next);
				time = next.at;
				next.callback();
			}

			time = end;
		},
	};
}

test('a burst in one turn is one call; later changes wait for the interval; urgent ones wait less', t => {
	const time = fakeTime();
	const calls: Array<{at: number; urgent: boolean}> = [];
	const notifier = new BatchedNotifier(urgent => calls.push({at: time.now(), urgent}), {intervalMs: 50, urgentMs: 16, now: time.now, timers: time.timers});
	notifier.changed();
	notifier.changed();
	time.advance(0);
	t.deepEqual(calls, [{at: 0, urgent: false}], 'after a quiet spell: at once, once');
	time.advance(10);
	notifier.changed();
	time.advance(20);
	t.is(calls.length, 1, 'not before the interval');
	time.advance(30);
	t.deepEqual(calls[1], {at: 50, urgent: false});
	time.advance(5);
	notifier.changed();
	notifier.changed(true);
	time.advance(100);
	t.deepEqual(calls[2], {at: 66, urgent: true}, 'urgent: 16 ms after the last call');
	t.is(calls.length, 3);
});

test('a stopped notifier calls nothing more', t => {
	const time = fakeTime();
	let calls = 0;
	const notifier = new BatchedNotifier(() => calls++, {intervalMs: 50, now: time.now, timers: time.timers});
	notifier.changed();
	notifier.stop();
	notifier.changed();
	time.advance(1000);
	t.is(calls, 0);
});
