// When the dashboard draws: poll results coalesced to one frame a second, the user's changes at once, ticks only between frames.
import test from 'ava';
import {FramePacer} from '../../source/ui/frame-pacer.js';

/** A clock of our own: timers fire when the test moves time on, in the order they are due. */
function fakeClock() {
	let time = 0;
	let nextId = 0;
	const timers = new Map<number, {at: number; callback: () => void}>();
	return {
		now: () => time,
		timers: {
			set(callback: () => void, ms: number): unknown {
				const id = nextId++;
				timers.set(id, {at: time + ms, callback});
				return id;
			},
			clear(handle: unknown): void {
				timers.delete(handle as number);
			},
		},
		pending: () => timers.size,
		advance(ms: number): void {
			const end = time + ms;
			for (;;) {
				const due = [...timers.entries()].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
				if (!due) {
					break;
				}

				timers.delete(due[0]);
				time = due[1].at;
				due[1].callback();
			}

			time = end;
		},
	};
}

/** A pacer whose draws are frames at once (as Ink's are), each reported back as drawn. */
function pacedScreen(minGapMs = 1000) {
	const clock = fakeClock();
	const frames: number[] = [];
	const pacer: FramePacer = new FramePacer(() => {
		frames.push(clock.now());
		pacer.drawn();
	}, {minGapMs, now: clock.now, timers: clock.timers});
	return {clock, frames, pacer};
}

test('poll results within a second of the last frame wait for one frame together; after the gap they draw at once', t => {
	const {clock, frames, pacer} = pacedScreen();
	clock.advance(1500);
	pacer.changed(false);
	clock.advance(0);
	t.deepEqual(frames, [1500], 'a second has passed since the first frame: drawn at once');
	for (const step of [100, 200, 300]) {
		clock.advance(step);
		pacer.changed(false);
	}

	t.deepEqual(frames, [1500]);
	clock.advance(399);
	t.deepEqual(frames, [1500]);
	clock.advance(1);
	t.deepEqual(frames, [1500, 2500], 'the three results share one frame, a second after the last');
	clock.advance(5000);
	t.deepEqual(frames, [1500, 2500], 'nothing changed, no tick: no frame');
});

test('what the user did is drawn at once, and it takes pending poll results along', t => {
	const {clock, frames, pacer} = pacedScreen();
	clock.advance(100);
	pacer.changed(false);
	clock.advance(100);
	pacer.changed(true);
	t.deepEqual(frames, [200], 'at once, not even on a timer');
	clock.advance(2000);
	t.deepEqual(frames, [200], 'the poll result was in the urgent frame');
	t.is(clock.pending(), 0);
});

test('the tick draws a second after the last frame, whatever caused it, so it never adds a frame next to a poll\'s', t => {
	const {clock, frames, pacer} = pacedScreen();
	pacer.setTick(1000);
	clock.advance(1000);
	t.deepEqual(frames, [1000]);
	// A poll result at 1600 waits for 2000, which is also when the tick is due: one frame.
	clock.advance(600);
	pacer.changed(false);
	clock.advance(400);
	t.deepEqual(frames, [1000, 2000]);
	// A key at 2300: drawn at once (a frame the screen itself asks for), and the tick moves to 3300.
	clock.advance(300);
	pacer.drawn();
	clock.advance(999);
	t.deepEqual(frames, [1000, 2000]);
	clock.advance(1);
	t.deepEqual(frames, [1000, 2000, 3300]);
	// A slower tick (nothing counts seconds): poll results still come once a second, ticks only in the quiet.
	pacer.setTick(10_000);
	clock.advance(500);
	pacer.changed(false);
	clock.advance(500);
	t.deepEqual(frames.slice(3), [4300]);
	clock.advance(10_000);
	t.deepEqual(frames.slice(3), [4300, 14_300]);
});

test('without a tick only changes draw; stopped, nothing draws', t => {
	const {clock, frames, pacer} = pacedScreen(500);
	pacer.setTick(1000);
	pacer.setTick(null);
	clock.advance(3000);
	t.deepEqual(frames, []);
	pacer.changed(false);
	clock.advance(0);
	t.deepEqual(frames, [3000]);
	clock.advance(100);
	pacer.changed(false);
	pacer.stop();
	clock.advance(1000);
	pacer.changed(true);
	t.deepEqual(frames, [3000]);
	t.is(clock.pending(), 0);
});
