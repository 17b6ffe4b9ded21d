// The JSON lines of `flash --json`: progress, the closing done or error record, and reading them back (the sudo child's output).
import type {FlashEvent, FlashOutcome} from './flash-job.js';

export type DoneRecord = {
	phase: 'done';
	/** Absent after a fast write (see FlashOutcome). */
	sha256?: string;
	bytes: number;
	total: number;
	/** Average write speed. */
	bytesPerSecond: number;
	verified: boolean;
	writtenBytes: number;
	skippedBytes: number;
	/** Zeros meant for the card that it held already: read, not written (absent from older krazy-tui). */
	alreadyZeroBytes?: number;
	writeSeconds: number;
	verifySeconds: number;
	fast?: FlashOutcome['fast'];
	powerOff?: FlashOutcome['powerOff'];
};

export type ErrorRecord = {phase: 'error'; message: string; kind?: string};

export type FlashRecord = FlashEvent | DoneRecord | ErrorRecord;

export function doneRecord(outcome: FlashOutcome): DoneRecord {
	return {
		phase: 'done',
		sha256: outcome.sha256,
		bytes: outcome.imageBytes,
		total: outcome.imageBytes,
		bytesPerSecond: outcome.writeSeconds > 0 ? Math.round(outcome.imageBytes / outcome.writeSeconds) : 0,
		verified: outcome.verified,
		writtenBytes: outcome.writtenBytes,
		skippedBytes: outcome.skippedBytes,
		...(outcome.alreadyZeroBytes === undefined ? {} : {alreadyZeroBytes: outcome.alreadyZeroBytes}),
		writeSeconds: outcome.writeSeconds,
		verifySeconds: outcome.verifySeconds,
		...(outcome.fast ? {fast: outcome.fast} : {}),
		...(outcome.powerOff ? {powerOff: outcome.powerOff} : {}),
	};
}

export function outcomeFromDone(record: DoneRecord): FlashOutcome {
	return {
		sha256: record.sha256,
		imageBytes: record.bytes,
		writtenBytes: record.writtenBytes,
		skippedBytes: record.skippedBytes,
		alreadyZeroBytes: record.alreadyZeroBytes,
		verified: record.verified,
		writeSeconds: record.writeSeconds,
		verifySeconds: record.verifySeconds,
		fast: record.fast,
		powerOff: record.powerOff,
	};
}

/** One line of the child's stdout, or undefined for anything that is not a record. */
export function parseRecord(line: string): FlashRecord | undefined {
	try {
		const value = JSON.parse(line) as {phase?: unknown};
		return typeof value?.phase === 'string' ? value as FlashRecord : undefined;
	} catch {
		return undefined;
	}
}
