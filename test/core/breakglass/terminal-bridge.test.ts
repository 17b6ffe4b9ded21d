// What the terminal bridge switches back off after a remote program: modes followed across chunk boundaries.
import test from 'ava';
import {TerminalModeTracker} from '../../../source/core/breakglass/terminal-bridge.js';

test('modes a remote program switched on are switched off, the alternate screen last, the cursor always shown', t => {
	const tracker = new TerminalModeTracker();
	tracker.feed('\u001B[?1049h\u001B[?25l\u001B[?1000;1006h\u001B=');
	tracker.feed('text\u001B[?1006l');
	t.is(tracker.resetSequence(), '\u001B[?1000l\u001B[?1049l\u001B>\u001B[0m\u001B[?25h');
});

test('a sequence split across two chunks still counts, and one switched off again is left alone', t => {
	const tracker = new TerminalModeTracker();
	tracker.feed(Buffer.from('abc\u001B[?20'));
	tracker.feed(Buffer.from('04hdef'));
	t.is(tracker.resetSequence(), '\u001B[?2004l\u001B[0m\u001B[?25h');
	tracker.feed('\u001B[?2004l');
	t.is(tracker.resetSequence(), '\u001B[0m\u001B[?25h');
});
