// Why a flash did not happen or did not finish, typed by kind, with a message naming the device (or image) and the cause.

export type FlashErrorKind =
	/** The verdict or a check said no; nothing was written. */
	| 'refused'
	/** The device cannot be opened for writing by this user. */
	| 'permission'
	/** Mounted or opened exclusively by another program. */
	| 'busy'
	| 'image'
	| 'too-small'
	/** Reading or writing the device failed (card pulled out, failing card). */
	| 'io'
	| 'cancelled'
	| 'verify'
	| 'build';

export class FlashError extends Error {
	override readonly name = 'FlashError';

	/**
	 * @param subject the device path (or image path) the user knows
	 * @param cause a short phrase a person can act on
	 * @param details what the finish screen and --json may add (offsets, bytes done)
	 */
	constructor(
		readonly subject: string,
		readonly kind: FlashErrorKind,
		readonly causeText: string,
		readonly details: {bytesDone?: number; offset?: number; incomplete?: boolean} = {},
	) {
		super(`${subject}: ${causeText}`);
	}
}

export function isFlashError(error: unknown): error is FlashError {
	return error instanceof FlashError;
}
