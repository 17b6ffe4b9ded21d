// The one way tests wait: poll a check until it gives a value (not undefined, not false), or fail after the test's
// own budget with what was awaited and what was last seen. Never a fixed sleep.

export type WaitOptions = {
	/** The test's budget for this wait (default 10 s). */
	timeoutMs?: number;
	/** What is awaited, for the failure message. */
	what?: string;
	/** Between checks (default 25 ms). */
	intervalMs?: number;
	/** What was last seen, added to the failure message (a screen, a frame). */
	lastSeen?: () => string | Promise<string>;
};

export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, options: WaitOptions | number = {}): Promise<T> {
	const {timeoutMs = 10_000, what = 'a condition', intervalMs = 25, lastSeen} = typeof options === 'number' ? {timeoutMs: options} : options;
	const started = Date.now();
	for (;;) {
		const value = await check();
		if (value !== undefined && value !== false) {
			return value;
		}

		if (Date.now() - started > timeoutMs) {
			const seen = lastSeen ? `; last seen:\n${await lastSeen()}` : '';
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
		}

		await new Promise(resolve => setTimeout(resolve, intervalMs));
	}
}
