// Waiting for Ink frames in component tests: poll the last frame until it shows what the test expects, never sleep.
import type {render} from 'ink-testing-library';
import {waitFor} from '../helpers/wait-for.js';

export type App = ReturnType<typeof render>;

const ansiPattern = /\u001b\[[\d;?]*[A-Za-z]/g;

export function plain(frame: string | undefined): string {
	return (frame ?? '').replace(ansiPattern, '');
}

/** Resolves with the first frame (ANSI removed) for which `accept` is true; fails after `timeoutMs` showing the last one. */
export async function waitForFrame(app: App, accept: (frame: string) => boolean, timeoutMs = 10_000): Promise<string> {
	return waitFor(() => {
		const frame = plain(app.lastFrame());
		return accept(frame) ? frame : undefined;
	}, {timeoutMs, what: 'a matching frame', intervalMs: 15, lastSeen: () => plain(app.lastFrame())});
}

export const keys = {
	up: '\u001b[A',
	down: '\u001b[B',
	right: '\u001b[C',
	left: '\u001b[D',
	enter: '\r',
	escape: '\u001b',
	tab: '\t',
	pageUp: '\u001b[5~',
	pageDown: '\u001b[6~',
	backspace: '\u007f',
	ctrlC: '\u0003',
};

/** Types keys one by one, each in its own stdin chunk, as a terminal would. */
export async function press(app: App, ...sequence: string[]): Promise<void> {
	for (const key of sequence) {
		app.stdin.write(key);
		// The escape key alone is only known to be alone after Ink's short wait for a following byte.
		if (key === keys.escape) {
			await new Promise(resolve => setTimeout(resolve, 80));
		}
	}
}
