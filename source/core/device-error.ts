// Failures as values: every error a device can cause, typed by kind, with a message naming the device and the cause.
import {readLimits} from './read-limits.js';
import {oneLine} from './sanitize-terminal.js';

export type DeviceErrorKind =
	| 'unreachable'
	| 'timeout'
	| 'auth'
	| 'not-gokrazy'
	| 'unknown-service'
	| 'tls'
	| 'http'
	| 'config'
	| 'usage'
	| 'ssh'
	| 'aborted';

export class DeviceError extends Error {
	override readonly name = 'DeviceError';
	readonly device: string;
	readonly causeText: string;

	/**
	 * @param device the name the user knows the device by ("casa", "127.0.0.1:8080")
	 * @param kind what went wrong, for code that reacts differently (health marks, exit codes)
	 * @param cause a short phrase a person can act on ("wrong password")
	 *
	 * Both are made one clean line of bounded length here, whatever a device put into them, so no path from an error
	 * to a terminal can carry escapes, bidi controls or megabytes.
	 */
	constructor(
		device: string,
		readonly kind: DeviceErrorKind,
		causeText: string,
		readonly status?: number,
	) {
		const name = oneLine(device, readLimits.messageFieldChars);
		const cause = oneLine(causeText, readLimits.messageChars);
		super(`${name}: ${cause}`);
		this.device = name;
		this.causeText = cause;
	}
}

export function isDeviceError(error: unknown): error is DeviceError {
	return error instanceof DeviceError;
}

/** One line for the user: a DeviceError's message, or the first line of anything else. */
export function describeError(error: unknown, device?: string): string {
	if (isDeviceError(error)) {
		return error.message;
	}

	const text = error instanceof Error ? error.message : String(error);
	const firstLine = oneLine(text.split('\n', 1)[0] ?? text, readLimits.messageChars);
	return device ? `${oneLine(device, readLimits.messageFieldChars)}: ${firstLine}` : firstLine;
}
