// Bounds how many device polls run at once across a fleet: a FIFO of waiting polls, each let through when a slot frees.
//
// 500 devices polled every 2 s must not open 500 connections in the same second (the poller spreads their first
// polls too); a device that answers slowly holds one slot, never more, and the others queue behind in order.
import {DeviceError} from './device-error.js';

export type PollLimiter = {
	/** Waits for a slot; resolves with its release (call it once, when the poll is done). Rejects when `signal` aborts first. */
	acquire(signal: AbortSignal, device: string): Promise<() => void>;
	readonly active: number;
	readonly waiting: number;
};

export function createPollLimiter(maxConcurrent: number): PollLimiter {
	if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
		throw new RangeError(`at most ${maxConcurrent} polls at once: expected a whole number of at least 1`);
	}

	let active = 0;
	const queue: Array<{grant: () => void}> = [];
	const release = () => {
		active--;
		const next = queue.shift();
		if (next) {
			next.grant();
		}
	};

	const slot = () => {
		let released = false;
		return () => {
			if (!released) {
				released = true;
				release();
			}
		};
	};

	return {
		get active() {
			return active;
		},
		get waiting() {
			return queue.length;
		},
		async acquire(signal, device) {
			if (signal.aborted) {
				throw new DeviceError(device, 'aborted', 'polling stopped');
			}

			if (active < maxConcurrent) {
				active++;
				return slot();
			}

			return new Promise((resolve, reject) => {
				const entry = {
					grant() {
						signal.removeEventListener('abort', onAbort);
						active++;
						resolve(slot());
					},
				};
				const onAbort = () => {
					const index = queue.indexOf(entry);
					if (index !== -1) {
						queue.splice(index, 1);
					}

					reject(new DeviceError(device, 'aborted', 'polling stopped'));
				};

				signal.addEventListener('abort', onAbort, {once: true});
				queue.push(entry);
			});
		},
	};
}
