// Failures as values: every error a device can cause, typed by kind, with a message naming the device and the cause.

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

	/**
	 * @param device the name the user knows the device by ("casa", "127.0.0.1:8080")
	 * @param kind what went wrong, for code that reacts differently (health marks, exit codes)
	 * @param cause a short phrase a person can act on ("wrong password")
	 */
	constructor(
		readonly device: string,
		readonly kind: DeviceErrorKind,
		readonly causeText: string,
		readonly status?: number,
	) {
		super(`${device}: ${causeText}`);
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
	const firstLine = text.split('\n', 1)[0] ?? text;
	return device ? `${device}: ${firstLine}` : firstLine;
}
